package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A jupyter_server from the Debian packages, for the kernel tests.

// jupyterBase is where the test's jupyter_server serves: the path alice's
// "lab" has through the proxy, which does not strip it.
const jupyterBase = "/notebook/alice/lab/"

// nodelayHeader on a kernel websocket's handshake has the test's
// jupyter_server send on it without Nagle's algorithm (nodelayPatch): the
// kernel's own round trip, which no proxy can beat, for
// BenchmarkKernelRoundTrip to measure the proxy against.
const nodelayHeader = "X-Test-Nodelay"

// nodelayPatch is a sitecustomize module for the test's jupyter_server
// (tornado's websocket protocol, patched in that process only).
const nodelayPatch = `try:
    import tornado.websocket as _ws
    _loop = _ws.WebSocketProtocol13._receive_frame_loop
    async def _receive_frame_loop(self):
        if self.handler.request.headers.get("` + nodelayHeader + `"):
            self.stream.set_nodelay(True)
        return await _loop(self)
    _ws.WebSocketProtocol13._receive_frame_loop = _receive_frame_loop
except Exception:
    pass
`

// jupyter is a jupyter_server the test started, with its token.
type jupyter struct {
	addr  string
	token string
}

// startJupyter runs jupyter_server from the Debian packages on a free
// loopback port and waits until it answers; it is stopped by pid at
// cleanup. A missing jupyter-server fails the test (the README's test
// command installs it) unless SPAWNHUB_TEST_ALLOW_SKIP=1.
func startJupyter(t testing.TB) *jupyter {
	t.Helper()
	if _, err := exec.LookPath("jupyter-server"); err != nil {
		if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
			t.Skip("jupyter-server not installed (apt-get install jupyter-server python3-ipykernel)")
		}
		t.Fatal("jupyter-server not installed; run the README's test command, which installs it")
	}
	home := t.TempDir()
	j := &jupyter{addr: freeLoopbackAddr(t), token: rand.Text()}
	host, port, _ := net.SplitHostPort(j.addr)
	cmd := exec.Command("/usr/bin/python3", "-m", "jupyter_server", "--no-browser", "--allow-root",
		"--ip="+host, "--port="+port, "--ServerApp.base_url="+jupyterBase,
		"--ServerApp.allow_remote_access=True", "--ServerApp.root_dir="+home)
	cmd.Dir = home
	site := t.TempDir()
	if err := os.WriteFile(filepath.Join(site, "sitecustomize.py"), []byte(nodelayPatch), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "HOME="+home, "JUPYTER_TOKEN="+j.token, "PYTHONPATH="+site)
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start jupyter_server: %v", err)
	}
	t.Cleanup(func() { // Jupyter shuts its kernels down on SIGTERM
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }() // ends when the process exits
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := j.api(http.MethodGet, "api/status", nil)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("jupyter_server not ready in 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (j *jupyter) api(method, path string, body any) (*http.Response, error) {
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req, err := http.NewRequest(method, "http://"+j.addr+jupyterBase+path, &buf)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "token "+j.token)
	return http.DefaultClient.Do(req)
}

// startKernel starts a python3 kernel and returns its id.
func (j *jupyter) startKernel(t testing.TB) string {
	t.Helper()
	res, err := j.api(http.MethodPost, "api/kernels", map[string]string{"name": "python3"})
	if err != nil {
		t.Fatalf("start kernel: %v", err)
	}
	defer res.Body.Close()
	var k struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&k); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("start kernel: status %d, %v", res.StatusCode, err)
	}
	return k.ID
}
