package daemon

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	localbackend "github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
)

// DefaultShutdownTimeout is how long a stopping daemon waits for requests
// in flight.
const DefaultShutdownTimeout = 10 * time.Second

// Addrs are the addresses a running server listens on.
type Addrs struct {
	PID    int    `json:"pid"`
	Socket string `json:"socket,omitempty"`
	// Addr is the bound TCP address, with the actual port when :0 was asked.
	Addr string `json:"addr,omitempty"`
	TLS  bool   `json:"tls"`
	// URL is the base URL of the TCP listener.
	URL string `json:"url,omitempty"`
	DB  string `json:"db"`
}

// Server is apikeyd: the listeners, the HTTP server over them and the
// backend behind it. Run serves until its context ends.
type Server struct {
	cfg    *Config
	log    *slog.Logger
	stderr io.Writer

	// open builds the backend; openBackend unless a test replaces it.
	open func(ctx context.Context) (*backend, error)
	// activation returns the sockets of a socket-activated start;
	// systemdListeners unless a test replaces it.
	activation func() ([]inherited, error)
	// ShutdownTimeout bounds the wait for requests in flight.
	ShutdownTimeout time.Duration

	ready chan struct{}
	mu    sync.Mutex
	addrs Addrs
}

// NewServer returns a server for cfg that logs to log and shows the
// generated bootstrap password on stderr.
func NewServer(cfg *Config, log *slog.Logger, stderr io.Writer) *Server {
	s := &Server{cfg: cfg, log: log, stderr: stderr, ShutdownTimeout: DefaultShutdownTimeout, ready: make(chan struct{})}
	s.open = func(ctx context.Context) (*backend, error) { return openBackend(ctx, cfg, log, stderr) }
	s.activation = systemdListeners
	return s
}

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addrs returns the bound addresses; valid once Ready is closed.
func (s *Server) Addrs() Addrs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs
}

// Run opens the backend, listens, serves until ctx ends, then stops
// accepting, lets requests in flight finish, closes the store and removes
// the socket and the ready file.
func (s *Server) Run(ctx context.Context) (err error) {
	tlsConfig, err := s.loadTLS()
	if err != nil {
		return err
	}
	lns, err := s.listen(ctx, tlsConfig != nil)
	if err != nil {
		return err
	}
	// The database is opened (and bootstrapped) only once the listeners
	// are ours: a daemon refused for a live socket touches nothing.
	be, err := s.open(ctx)
	if err != nil {
		lns.close()
		return err
	}
	defer func() {
		if cerr := be.close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the database: %w", cerr)
		}
	}()
	// The remover stops (deferred after the close, so run before it)
	// before the database closes.
	stopRemover := be.startRemover(ctx)
	defer stopRemover()
	stopHooks := be.startHooks(ctx)
	defer stopHooks()
	// The flusher stops, writing the last uses of API keys, once the
	// server has stopped serving (its stop is deferred after, so run
	// first), before the remover and the database.
	stopFlusher := be.startFlusher(ctx, s.log)
	defer stopFlusher()

	if lns.tcp != nil {
		lns.tcp = limitPerClient(lns.tcp, s.cfg.HTTP.MaxConnectionsPerClient, s.log)
	}
	srv := s.httpServer(ctx, be, tlsConfig)
	serving := serve(srv, lns, tlsConfig != nil)
	removeReadyFile := s.announce(lns.addrs)
	defer removeReadyFile()
	return s.stop(ctx, srv, serving)
}

// loadTLS is the TLS configuration of the TCP listener; nil without TLS.
func (s *Server) loadTLS() (*tls.Config, error) {
	if !s.cfg.TLS() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load the TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// listeners are what a server serves on: Unix sockets, and at most one TCP
// listener (with TLS when configured), with the addresses they make.
type listeners struct {
	unix  []net.Listener
	tcp   net.Listener
	addrs Addrs
}

// setTCP makes l the TCP listener.
func (ls *listeners) setTCP(l net.Listener, withTLS bool) {
	ls.tcp = l
	ls.addrs.Addr = l.Addr().String()
	scheme := "http"
	if withTLS {
		scheme = "https"
	}
	ls.addrs.URL = scheme + "://" + ls.addrs.Addr
}

// close closes every listener.
func (ls *listeners) close() {
	for _, l := range ls.unix {
		l.Close()
	}
	if ls.tcp != nil {
		ls.tcp.Close()
	}
}

// listen opens the listeners: the sockets passed by the service manager
// when socket-activated, else --socket and --listen. On error none is
// left open.
func (s *Server) listen(ctx context.Context, withTLS bool) (*listeners, error) {
	lns := &listeners{addrs: Addrs{PID: os.Getpid(), DB: localbackend.DisplayName(s.cfg.DB), TLS: withTLS}}
	activated, err := s.activation()
	if err != nil {
		return nil, err
	}
	if len(activated) > 0 {
		// Socket-activated: serve on the sockets the service manager
		// opened and owns, instead of --socket and --listen.
		if err := s.adopt(activated, lns, withTLS); err != nil {
			lns.close()
			return nil, err
		}
		return lns, nil
	}
	if s.cfg.Socket != "" {
		ul, err := listenUnix(ctx, s.cfg.Socket)
		if err != nil {
			return nil, err
		}
		lns.unix = append(lns.unix, ul)
		lns.addrs.Socket = s.cfg.Socket
	}
	if s.cfg.Listen != "" {
		var lc net.ListenConfig
		tcp, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
		if err != nil {
			lns.close()
			return nil, fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
		}
		lns.setTCP(tcp, withTLS)
	}
	return lns, nil
}

// httpServer is the HTTP server of the API over be.
func (s *Server) httpServer(ctx context.Context, be *backend, tlsConfig *tls.Config) *http.Server {
	cfg := esapi.Config{
		Service:        be.svc,
		Admin:          be.admin,
		Authenticator:  be.authn,
		Peer:           newPeerAuth(os.Geteuid()).subject,
		Logger:         s.log,
		Info:           s.clusterInfo(),
		MaxBodySize:    s.cfg.HTTP.MaxContentLength,
		AllowedHosts:   s.cfg.AllowedHosts,
		TrustedProxies: s.cfg.TrustedProxies,
		RequestTimeout: s.cfg.HTTP.RequestTimeout,

		MetricsLoopback: s.cfg.MetricsLoopback,
	}
	if be.metrics != nil {
		cfg.Observer = be.metrics
	}
	handler := esapi.NewHandler(cfg)
	srv := &http.Server{
		Handler:           handler,
		ConnContext:       connContext,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: min(10*time.Second, s.cfg.HTTP.ReadTimeout),
		ReadTimeout:       s.cfg.HTTP.ReadTimeout,
		// Elasticsearch's http.max_header_size is 16kb; room for long
		// tokens, and a bound on what a connection's headers may hold.
		MaxHeaderBytes: 64 << 10,
		IdleTimeout:    s.cfg.HTTP.IdleTimeout,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if be.endWaits != nil {
		// A long poll of GET /_apikeyd/events answers at once.
		srv.RegisterOnShutdown(be.endWaits)
	}
	return srv
}

// serving is a server serving on its listeners: the first error of a
// listener that failed, and what returns once every listener is done.
type serving struct {
	failed chan error
	wg     sync.WaitGroup
}

// serve serves srv on every listener of lns, in the background.
func serve(srv *http.Server, lns *listeners, withTLS bool) *serving {
	sv := &serving{failed: make(chan error, len(lns.unix)+1)}
	run := func(l net.Listener, withTLS bool) {
		sv.wg.Add(1)
		go func() {
			defer sv.wg.Done()
			var err error
			if withTLS {
				err = srv.ServeTLS(l, "", "")
			} else {
				err = srv.Serve(l)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				sv.failed <- err
			}
		}()
	}
	for _, l := range lns.unix {
		run(l, false)
	}
	if lns.tcp != nil {
		run(lns.tcp, withTLS)
	}
	return sv
}

// announce publishes addrs (Addrs, the log, the ready file) and closes
// Ready. It returns what removes the ready file.
func (s *Server) announce(addrs Addrs) (removeReadyFile func()) {
	s.mu.Lock()
	s.addrs = addrs
	s.mu.Unlock()
	s.log.Info("apikeyd listening", "socket", addrs.Socket, "addr", addrs.Addr, "tls", addrs.TLS, "db", addrs.DB)
	removeReadyFile = func() {}
	if s.cfg.ReadyFile != "" {
		if err := writeReadyFile(s.cfg.ReadyFile, addrs); err != nil {
			s.log.Error("cannot write the ready file", "path", s.cfg.ReadyFile, "err", err)
		} else {
			removeReadyFile = func() { os.Remove(s.cfg.ReadyFile) }
		}
	}
	close(s.ready)
	return removeReadyFile
}

// stop waits until ctx ends or a listener fails, then shuts srv down,
// giving requests in flight ShutdownTimeout to finish.
func (s *Server) stop(ctx context.Context, srv *http.Server, sv *serving) error {
	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("apikeyd stopping", "reason", context.Cause(ctx).Error())
	case runErr = <-sv.failed:
		s.log.Error("apikeyd stopping after a listener failed", "err", runErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("requests still in flight at the shutdown deadline were cut off", "err", err)
		srv.Close()
	}
	sv.wg.Wait()
	if runErr != nil {
		return fmt.Errorf("serve: %w", runErr)
	}
	s.log.Info("apikeyd stopped")
	return nil
}

// clusterInfo is what GET / says about this daemon: the host as the node,
// and a cluster UUID stable for the database file, or for the PostgreSQL
// database (its URL without the password: every replica of one database
// names the same cluster).
func (s *Server) clusterInfo() esapi.ClusterInfo {
	db := localbackend.DisplayName(s.cfg.DB)
	if !localbackend.IsURL(db) {
		if abs, err := filepath.Abs(db); err == nil {
			db = abs
		}
	}
	sum := sha256.Sum256([]byte(db))
	info := esapi.ClusterInfo{
		ClusterName: "apikeyd",
		ClusterUUID: base64.RawURLEncoding.EncodeToString(sum[:16]),
	}
	if Commit != "" {
		info.Version.BuildHash = Commit
	}
	if Date != "" {
		info.Version.BuildDate = Date
	}
	return info
}

// writeReadyFile writes addrs as JSON, atomically.
func writeReadyFile(path string, addrs Addrs) error {
	data, err := json.MarshalIndent(addrs, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
