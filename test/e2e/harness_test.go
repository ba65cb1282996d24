// Package e2e runs spawnhub as real processes against real Redis, real
// Jupyter and the built-in demo server, and checks what users and scripts
// see. Every process a test starts is stopped by the test, by pid.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"github.com/spawnhub/spawnhub/test/poll"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the spawnhub executable built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spawnhub-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "spawnhub")
	_ = os.Chmod(dir, 0o755) // the demo server runs the binary as the server account
	build := exec.Command("go", "build", "-o", binary, "github.com/spawnhub/spawnhub/cmd/spawnhub")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build spawnhub:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTool fails the test when a program the test needs is missing,
// unless SPAWNHUB_TEST_ALLOW_SKIP=1 (CI never sets it: CI installs them).
func requireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
		t.Skipf("%s is not installed", path)
	}
	t.Fatalf("%s is not installed; run the README's test command, which installs it", path)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis runs a private redis-server on a free loopback port.
func startRedis(t *testing.T) string {
	t.Helper()
	return startRedisServer(t, fmt.Sprintf("127.0.0.1:%d", freePort(t)), t.TempDir(), false)
}

// startRedisServer runs redis-server on addr with its files in dir;
// durable makes it write every change to its append-only file first, as
// production Redis must. It returns addr once Redis answers; redisProcs
// holds its process, for tests that crash it.
func startRedisServer(t *testing.T, addr, dir string, durable bool) string {
	t.Helper()
	requireTool(t, "redis-server")
	_, port, _ := net.SplitHostPort(addr)
	aof := []string{"--appendonly", "no"}
	if durable {
		aof = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--dir", dir}, aof...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	redisProcs.Store(addr, cmd.Process)
	t.Cleanup(func() { stopProcess(cmd.Process.Pid); _ = cmd.Wait() })
	poll.Until(t, 10*time.Second, "redis "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// redisProcs finds the process serving a Redis address, to crash it.
var redisProcs sync.Map // addr → *os.Process

func stopProcess(pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
}

// instance is one running spawnhub process.
type instance struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	logs *logBuffer
	done chan struct{}

	beforeStop func(base string)
}

// spawnhubEnv is what every test instance gets: a private data dir and a
// fixed listen port so that a restart keeps the URL.
type spawnhubEnv struct {
	env    []string
	config string // YAML file contents, optional
	// beforeStop runs before a graceful stop (not a kill), with the base
	// URL: tests stop their workspaces there, so none outlives the test.
	beforeStop func(base string)
}

// startSpawnhub runs `spawnhub serve` and waits until it answers /readyz.
func startSpawnhub(t *testing.T, e spawnhubEnv) *instance {
	t.Helper()
	args := []string{"serve"}
	if e.config != "" {
		path := filepath.Join(t.TempDir(), "spawnhub.yaml")
		if err := os.WriteFile(path, []byte(e.config), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	crossableDataDir(t, e.env)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), e.env...)
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, cmd: cmd, logs: logs, done: make(chan struct{}), beforeStop: e.beforeStop}
	go func() { _ = cmd.Wait(); close(in.done) }() // ends when the process does
	t.Cleanup(in.stop)
	in.URL = in.waitListening()
	poll.Until(t, 20*time.Second, "spawnhub ready", func() bool {
		res, err := http.Get(in.URL + "/readyz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	})
	return in
}

// crossableDataDir lets the account that runs local servers cross the
// test's temporary folder to the data folder (t.TempDir's parent is 0700).
func crossableDataDir(t *testing.T, env []string) {
	for _, kv := range env {
		if dir, ok := strings.CutPrefix(kv, "SPAWNHUB_DATADIR="); ok {
			if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var listeningRE = regexp.MustCompile(`spawnhub listening"? url=(http://[0-9.:]+)`)

func (in *instance) waitListening() string {
	var u string
	poll.Until(in.t, 20*time.Second, "spawnhub listening", func() bool {
		if m := listeningRE.FindStringSubmatch(in.logs.String()); m != nil {
			u = m[1]
			return true
		}
		select {
		case <-in.done:
			in.t.Fatalf("spawnhub exited:\n%s", in.logs.String())
		default:
		}
		return false
	})
	return u
}

// kill ends the process abruptly, as a crash would.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// stop ends the process gracefully and waits for it.
func (in *instance) stop() {
	select {
	case <-in.done:
		return
	default:
	}
	if in.beforeStop != nil {
		in.beforeStop(in.URL)
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.kill()
	}
	if in.t.Failed() {
		in.t.Logf("spawnhub logs:\n%s", in.logs.String())
	}
}

// logBuffer collects a process's output safely.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// login signs in with the development login and returns a client that
// carries the session cookie and does not follow redirects.
func login(t *testing.T, base, user string) *http.Client {
	t.Helper()
	c := newBrowserlikeClient()
	res, err := c.PostForm(base+"/login", url.Values{"username": {user}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303", user, res.StatusCode)
	}
	return c
}

// sessionCookie returns the client's session cookie header for base.
func sessionCookie(c *http.Client, base string) string {
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range c.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// readSSE returns the events of a server-sent event stream, one by one.
func readSSE(ctx context.Context, t *testing.T, c *http.Client, u string, each func(event, data string) bool) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", u, res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && event != "":
			if !each(event, data) {
				return
			}
			event, data = "", ""
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("progress stream %s: %v", u, ctx.Err())
	}
}
