package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLastUsedConfig(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
		env   map[string]string
		want  time.Duration
	}{
		{name: "default", want: time.Minute},
		{name: "seconds", flags: []string{"--last-used-interval", "5s"}, want: 5 * time.Second},
		{name: "off", flags: []string{"--last-used-interval", "off"}, want: 0},
		{name: "zero", flags: []string{"--last-used-interval", "0"}, want: 0},
		{name: "environment", env: map[string]string{"APIKEYD_LAST_USED_INTERVAL": "2m"}, want: 2 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := loadConfig(parseFlags(t, append([]string{"--data-dir", t.TempDir()}, tt.flags...)...))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.LastUsed != tt.want {
				t.Errorf("LastUsed = %v, want %v", cfg.LastUsed, tt.want)
			}
		})
	}
	for _, tt := range []struct{ name, value, want string }{
		{"negative", "-1", `--last-used-interval "-1": must be positive`},
		{"no unit", "60", "unit is missing or unrecognized"},
		{"word", "never", `--last-used-interval "never"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			_, err := loadConfig(parseFlags(t, "--last-used-interval", tt.value))
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a ConfigError containing %q", err, tt.want)
			}
		})
	}
}

// countingFlusher counts flushes and signals each one.
type countingFlusher struct {
	mu      sync.Mutex
	n       int
	flushed chan struct{}
}

func (f *countingFlusher) FlushUsage(context.Context) error {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	select {
	case f.flushed <- struct{}{}:
	default:
	}
	return nil
}

func TestFlusher(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Run("every interval and at stop", func(t *testing.T) {
		f := &countingFlusher{flushed: make(chan struct{})}
		be := &backend{usage: f, lastUsed: time.Millisecond}
		stop := be.startFlusher(t.Context(), log)
		select {
		case <-f.flushed:
		case <-time.After(10 * time.Second):
			t.Fatal("no flush within 10s at an interval of 1ms")
		}
		stop()
		f.mu.Lock()
		before := f.n
		f.mu.Unlock()
		if before < 2 {
			t.Errorf("%d flushes, want one at the interval and one at stop", before)
		}
	})
	t.Run("stop writes what is left", func(t *testing.T) {
		f := &countingFlusher{flushed: make(chan struct{}, 1)}
		be := &backend{usage: f, lastUsed: time.Hour}
		ctx, cancel := context.WithCancel(t.Context())
		stop := be.startFlusher(ctx, log)
		cancel() // the daemon's context ends first, as at SIGTERM
		stop()
		if f.n != 1 {
			t.Errorf("%d flushes at stop, want 1", f.n)
		}
	})
	t.Run("off", func(t *testing.T) {
		be := &backend{lastUsed: 0}
		be.startFlusher(t.Context(), log)()
	})
}
