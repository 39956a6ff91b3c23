package paths

import (
	"slices"
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

func TestDefaultSockets(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want []string
	}{
		{"apikeyd socket alone", map[string]string{SocketEnv: "/tmp/x.sock", "XDG_RUNTIME_DIR": "/run/user/1000"}, 1000, []string{"/tmp/x.sock"}},
		{"runtime dir, then data dir (su), then packaged", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/a"}, 1000,
			[]string{"/run/user/1000/apikeyd/apikeyd.sock", "/home/a/.local/share/apikeyd/apikeyd.sock", SystemSocket}},
		{"data dir from the environment", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", DataDirEnv: "/srv/akd"}, 1000,
			[]string{"/run/user/1000/apikeyd/apikeyd.sock", "/srv/akd/apikeyd.sock", SystemSocket}},
		{"no runtime dir", map[string]string{"XDG_DATA_HOME": "/x"}, 1000, []string{"/x/apikeyd/apikeyd.sock", SystemSocket}},
		{"root", map[string]string{"XDG_RUNTIME_DIR": "/run/user/0"}, 0, []string{SystemSocket}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultSockets(env(tt.env), tt.euid); !slices.Equal(got, tt.want) {
				t.Errorf("DefaultSockets = %q, want %q", got, tt.want)
			}
		})
	}
}
