package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// listenFDsStart is the first file descriptor systemd passes to a
// socket-activated service (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// inherited is a listening socket passed by the service manager.
type inherited struct {
	listener net.Listener
	// name is the socket's FileDescriptorName= in the unit (from
	// LISTEN_FDNAMES), or "unknown".
	name string
}

// unix reports whether the socket is a Unix socket (else TCP).
func (i inherited) unix() bool { return i.listener.Addr().Network() == "unix" }

// activationListeners implements systemd's socket activation protocol
// (sd_listen_fds): when LISTEN_PID is pid and LISTEN_FDS is n, the n
// descriptors from firstFD on are listening sockets the service manager
// opened for this process, named by LISTEN_FDNAMES (colon-separated). It
// returns nil when the process was not socket-activated. The descriptors
// are duplicated into the returned listeners and closed.
func activationListeners(getenv func(string) string, pid, firstFD int) ([]inherited, error) {
	fds := getenv("LISTEN_FDS")
	if fds == "" || getenv("LISTEN_PID") != strconv.Itoa(pid) {
		return nil, nil
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q is not a positive number", fds)
	}
	names := strings.Split(getenv("LISTEN_FDNAMES"), ":")
	if len(names) != n {
		names = nil
	}
	var out []inherited
	closeAll := func() {
		for _, in := range out {
			in.listener.Close()
		}
	}
	for i := range n {
		name := "unknown"
		if names != nil && names[i] != "" {
			name = names[i]
		}
		fd := firstFD + i
		f := os.NewFile(uintptr(fd), name)
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("socket activation: descriptor %d (%s) is not a listening socket: %w", fd, name, err)
		}
		switch l.Addr().Network() {
		case "unix", "tcp":
		default:
			l.Close()
			closeAll()
			return nil, fmt.Errorf("socket activation: descriptor %d (%s) is a %s socket; apikeyd serves Unix and TCP stream sockets", fd, name, l.Addr().Network())
		}
		out = append(out, inherited{listener: l, name: name})
	}
	return out, nil
}

// systemdListeners returns the sockets systemd passed to this process, if
// it was socket-activated, and removes the LISTEN_* variables so that no
// child process takes them for its own.
func systemdListeners() ([]inherited, error) {
	ls, err := activationListeners(os.Getenv, os.Getpid(), listenFDsStart)
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		os.Unsetenv(k)
	}
	return ls, err
}

// errTwoTCP is a socket unit with more than one TCP socket.
var errTwoTCP = errors.New("socket activation: more than one TCP socket was passed; apikeyd serves one")

// adopt takes the inherited sockets as the server's: Unix sockets join
// lns, the TCP socket (at most one) becomes its TCP listener, with TLS
// when the configuration has a certificate. Plain HTTP on a non-loopback TCP socket
// needs --insecure-listen, as with --listen. On error the caller closes
// what was adopted.
func (s *Server) adopt(in []inherited, lns *listeners, withTLS bool) error {
	for _, i := range in {
		if i.unix() {
			lns.unix = append(lns.unix, i.listener)
			if lns.addrs.Socket == "" {
				lns.addrs.Socket = i.listener.Addr().String()
			}
			s.log.Info("serving on a socket passed by systemd", "name", i.name, "socket", i.listener.Addr().String())
			continue
		}
		if lns.tcp != nil {
			i.listener.Close()
			return errTwoTCP
		}
		lns.setTCP(i.listener, withTLS)
		s.log.Info("serving on a socket passed by systemd", "name", i.name, "addr", lns.addrs.Addr, "tls", withTLS)
		host, _, _ := net.SplitHostPort(lns.addrs.Addr)
		if !withTLS && !s.cfg.InsecureListen && !isLoopback(host) {
			return configErrorf("the TCP socket passed by systemd (%s) is not a loopback address: plain HTTP there would expose credentials to the network. Give --tls-cert and --tls-key, or --insecure-listen to serve plain HTTP anyway", lns.addrs.Addr)
		}
	}
	return nil
}
