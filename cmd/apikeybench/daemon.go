package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// daemon is a running apikeyd.
type daemon struct {
	cmd    *exec.Cmd
	socket string
	addr   string
	// admin talks over the socket, where the benchmark's own user is a
	// superuser; tcp over the loopback port.
	admin *http.Client
	tcp   *http.Client
	done  chan error

	stopOnce sync.Once
	stopErr  error
}

// startNamedDaemon starts an apikeyd whose socket and ready file are
// named name, with settings beyond the defaults (extra flags), and waits
// until it listens. Two daemons of different names can serve one
// database.
func (b *bench) startNamedDaemon(ctx context.Context, dataDir, name string, extra ...string) (*daemon, error) {
	ready := filepath.Join(dataDir, name+".ready.json")
	os.Remove(ready)
	d := &daemon{socket: filepath.Join(b.dir, name+".sock"), done: make(chan error, 1)}
	// Default settings: the request log too, to a file of the run.
	args := append([]string{"--data-dir", dataDir, "--socket", d.socket,
		"--listen", "127.0.0.1:0", "--ready-file", ready}, extra...)
	d.cmd = exec.CommandContext(ctx, b.apikeyd, args...)
	d.cmd.Env = append(os.Environ(), "APIKEYD_BOOTSTRAP_PASSWORD="+benchPassword)
	logFile, err := os.OpenFile(filepath.Join(b.dir, "apikeyd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	d.cmd.Stderr = logFile
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start apikeyd: %w", err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	for {
		data, err := os.ReadFile(ready)
		if err == nil && len(data) > 0 {
			var addrs struct {
				Socket string `json:"socket"`
				Addr   string `json:"addr"`
			}
			if err := json.Unmarshal(data, &addrs); err == nil && addrs.Addr != "" {
				d.addr = addrs.Addr
				break
			}
		}
		select {
		case err := <-d.done:
			return nil, fmt.Errorf("apikeyd exited before it was ready: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	d.admin = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", d.socket)
		},
		MaxIdleConnsPerHost: 128,
	}}
	d.tcp = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxIdleConns: 128}}
	return d, nil
}

// stop stops the daemon and waits for it; stopping it again does nothing.
func (d *daemon) stop() error {
	d.stopOnce.Do(func() { d.stopErr = d.interrupt() })
	return d.stopErr
}

func (d *daemon) interrupt() error {
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	select {
	case <-d.done:
		return nil
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		return errors.New("apikeyd did not stop within 30s")
	}
}

// call sends a request with a JSON body and decodes a 2xx JSON answer
// into out (when not nil).
func call(ctx context.Context, c *http.Client, method, url, auth string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, data)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// procStat is what the kernel accounts for a process.
type procStat struct {
	cpu time.Duration // user + system
}

// readProcStat reads the CPU time of pid from /proc.
func readProcStat(pid int) (procStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name may hold spaces: fields start after its ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	if len(fields) < 13 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return procStat{}, err
	}
	// Linux reports clock ticks of 1/100 s (USER_HZ).
	return procStat{cpu: time.Duration(utime+stime) * 10 * time.Millisecond}, nil
}

// peakRSS reads the peak resident set of pid (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/status")
}
