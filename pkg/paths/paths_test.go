package paths

import (
	"os"
	"testing"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDataDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want string
	}{
		{"root", map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/home/a"}, 0, "/var/lib/apikeyd"},
		{"xdg data home", map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/home/a"}, 1000, "/x/apikeyd"},
		{"home", map[string]string{"HOME": "/home/a"}, 1000, "/home/a/.local/share/apikeyd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DataDir(env(tt.env), tt.euid); got != tt.want {
				t.Errorf("DataDir = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSocket(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want string
	}{
		{"root", map[string]string{"XDG_RUNTIME_DIR": "/run/user/0"}, 0, "/run/apikeyd/apikeyd.sock"},
		{"xdg runtime dir", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, 1000, "/run/user/1000/apikeyd/apikeyd.sock"},
		{"data dir", nil, 1000, "/data/apikeyd.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Socket(env(tt.env), tt.euid, "/data"); got != tt.want {
				t.Errorf("Socket = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultSocket(t *testing.T) {
	if got := DefaultSocket(env(map[string]string{SocketEnv: "/tmp/x.sock", DataDirEnv: "/srv/akd"})); got != "/tmp/x.sock" {
		t.Errorf("with $APIKEYD_SOCKET: %q", got)
	}
	got := DefaultSocket(env(map[string]string{DataDirEnv: "/srv/akd"}))
	want := "/srv/akd/apikeyd.sock"
	if os.Geteuid() == 0 {
		want = SystemSocket
	}
	if got != want {
		t.Errorf("with $APIKEYD_DATA_DIR: %q, want %q", got, want)
	}
}
