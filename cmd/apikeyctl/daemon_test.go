package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testDaemon is a real apikeyd process (this test binary run as apikeyd,
// see TestMain) on a socket and a TLS port on 127.0.0.1, with a CA that
// clients trust with --ca-cert.
type testDaemon struct {
	Socket   string
	Addr     string // 127.0.0.1:PORT
	CAFile   string // PEM of the CA that signed the server's certificate
	Password string // of the superuser elastic
	DataDir  string
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnviron is the test's environment without what configures
// apikeyctl and apikeyd (APIKEYCTL_*, APIKEYD_*, XDG_*, LISTEN_*, colour),
// then env: a developer's own settings must not choose the target, the
// database or the output of the processes a test runs.
func testEnviron(env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "APIKEYCTL_"), strings.HasPrefix(k, "APIKEYD_"), strings.HasPrefix(k, "XDG_"),
			strings.HasPrefix(k, "LISTEN_"), strings.HasPrefix(k, "CLICOLOR"), k == "NO_COLOR":
			continue
		}
		out = append(out, kv)
	}
	return append(out, env...)
}

// shortTempDir is a temporary directory with a short path, for Unix
// sockets.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ak")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startDaemon starts apikeyd with TLS on 127.0.0.1 and waits until it is
// ready; it is stopped with SIGINT when the test ends.
func startDaemon(t *testing.T) *testDaemon {
	t.Helper()
	dir := shortTempDir(t)
	d := &testDaemon{Socket: filepath.Join(dir, "d.sock"), Password: "elastic-example-pw", DataDir: filepath.Join(dir, "data")}
	certFile, keyFile := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	d.CAFile = filepath.Join(dir, "http_ca.crt")
	writeTestCerts(t, d.CAFile, certFile, keyFile)
	d.Addr = spawnDaemon(t, filepath.Join(dir, "ready.json"), []string{"APIKEYD_BOOTSTRAP_PASSWORD=" + d.Password},
		"--data-dir", d.DataDir, "--socket", d.Socket,
		"--listen", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile, "--log-level", "warn").Addr
	return d
}

// daemonProc is a running apikeyd process.
type daemonProc struct {
	Addr   string // the TCP address of its ready file, when it listens on one
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{} // closed once the process has exited
	err    error         // cmd.Wait's error, once exited is closed
}

// spawnDaemon starts apikeyd with args, its ready file at ready, and env
// added to the test's environment, and waits until it is ready. A ready
// file left behind by an earlier, killed process is removed first. When
// the test ends, a process still running gets SIGINT, then SIGKILL after
// 10 seconds.
func spawnDaemon(t *testing.T, ready string, env []string, args ...string) *daemonProc {
	t.Helper()
	if err := os.Remove(ready); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	p := &daemonProc{stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command("apikeyd", append(args, "--ready-file", ready)...)
	p.cmd.Env = testEnviron(env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		if p.wait(10*time.Second) != nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	p.Addr = waitReadyFile(t, ready, p.stderr)
	return p
}

// errStillRunning is wait's answer for a process that did not exit in time.
var errStillRunning = errors.New("apikeyd is still running")

// wait waits at most limit for the process to exit and returns how it
// exited (nil for status 0), or errStillRunning.
func (p *daemonProc) wait(limit time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	case <-time.After(limit):
		return errStillRunning
	}
}

// waitReadyFile waits for apikeyd's ready file and returns its TCP
// address.
func waitReadyFile(t *testing.T, path string, stderr *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && len(data) > 0 {
			var r struct {
				Addr string `json:"addr"`
			}
			if json.Unmarshal(data, &r) == nil {
				return r.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("apikeyd did not become ready; stderr:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apikeyctl runs apikeyctl with env added to the test's environment and
// returns its stdout, failing the test on a non-zero exit.
func apikeyctl(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("apikeyctl", args...)
	cmd.Env = testEnviron(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apikeyctl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// writeTestCerts writes a CA and a server certificate for localhost and
// 127.0.0.1 signed by it.
func writeTestCerts(t *testing.T, caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "apikeyctl test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for path, block := range map[string]*pem.Block{
		caFile:   {Type: "CERTIFICATE", Bytes: caDER},
		certFile: {Type: "CERTIFICATE", Bytes: leafDER},
		keyFile:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
