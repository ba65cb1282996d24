package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// hub is a running `spawnhub serve` with one user signed in and one
// workspace — the tool's own backend — running.
type hub struct {
	proc     *process
	url      string
	cookie   string // the hub's session
	wsBase   string // the workspace origin
	wsCookie string // its session
	ns       string
	server   string
	backend  backendInfo
	client   *http.Client
}

// buildSpawnhub compiles the spawnhub binary into dir.
func buildSpawnhub(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "spawnhub")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/spawnhub/spawnhub/cmd/spawnhub")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build spawnhub: %w\n%s", err, out)
	}
	return bin, nil
}

// hubConfig offers one image: this very program in backend mode, which
// writes where it listens to infoPath.
func hubConfig(self, infoPath string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return fmt.Sprintf(`spawner:
  images:
    - id: bench
      kind: demo
      default: true
      names: {en: "Benchmark backend"}
      command: [%s, "-backend-listen", "{{.Host}}:{{.Port}}", "-backend-info", %s]
`, q(self), q(infoPath))
}

// backendFiles prepares what the backend needs when spawnhub runs it as
// its own unprivileged account (as root it never runs servers as root):
// a copy of this program it may execute, and a folder it may write its
// address into.
func backendFiles(dir string) (exe, info string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", err
	}
	exe = filepath.Join(dir, "bench-backend")
	raw, err := os.ReadFile(self)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(exe, raw, 0o755); err != nil {
		return "", "", err
	}
	shared := filepath.Join(dir, "backend")
	if err := os.Mkdir(shared, 0o755); err != nil {
		return "", "", err
	}
	if err := os.Chmod(shared, 0o1777); err != nil { // Mkdir's mode passes the umask
		return "", "", err
	}
	return exe, filepath.Join(shared, "backend.json"), nil
}

// startHub runs spawnhub with the memory store, signs in and launches the
// backend.
func startHub(ctx context.Context, bin, dir string) (*hub, error) {
	self, info, err := backendFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("spawnhub: %w", err)
	}
	cfg := filepath.Join(dir, "spawnhub.yaml")
	if err := os.WriteFile(cfg, []byte(hubConfig(self, info)), 0o600); err != nil {
		return nil, fmt.Errorf("spawnhub: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := []string{"SPAWNHUB_LISTEN=" + addr, "SPAWNHUB_DATADIR=" + filepath.Join(dir, "data")}
	p, err := startProcess("spawnhub", filepath.Join(dir, "spawnhub.log"), env, bin, "serve", "--config", cfg)
	if err != nil {
		return nil, err
	}
	h := &hub{proc: p, url: "http://" + addr, client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if err := h.setUp(ctx, info); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

func (h *hub) setUp(ctx context.Context, info string) error {
	if err := waitTCP(h.proc, strings.TrimPrefix(h.url, "http://"), 30*time.Second); err != nil {
		return err
	}
	if err := h.login(ctx, "bench"); err != nil {
		return err
	}
	if err := h.launch(ctx); err != nil {
		return err
	}
	if err := h.signInWorkspace(ctx); err != nil {
		return err
	}
	raw, err := os.ReadFile(info)
	if err != nil {
		return fmt.Errorf("backend address: %w", err)
	}
	return json.Unmarshal(raw, &h.backend)
}

// login uses the development login and keeps the session cookie.
func (h *hub) login(ctx context.Context, user string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"/login",
		strings.NewReader(url.Values{"username": {user}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("spawnhub login: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("spawnhub login: status %d, want 303", res.StatusCode)
	}
	var parts []string
	for _, c := range res.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	h.cookie = strings.Join(parts, "; ")
	return nil
}

// launch starts a server of the bench image and waits until it runs.
func (h *hub) launch(ctx context.Context) error {
	var srv struct{ Namespace, Name, Phase, Message string }
	if err := h.api(ctx, http.MethodPost, "/api/v1/namespaces/bench/launch", `{"image":"bench"}`, http.StatusCreated, &srv); err != nil {
		return err
	}
	h.ns, h.server = srv.Namespace, srv.Name
	deadline := time.Now().Add(60 * time.Second)
	for srv.Phase != "running" {
		if srv.Phase == "failed" || time.Now().After(deadline) {
			return fmt.Errorf("spawnhub server %s/%s: phase %s: %s", h.ns, h.server, srv.Phase, srv.Message)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
		if err := h.api(ctx, http.MethodGet, h.serverPath(), "", http.StatusOK, &srv); err != nil {
			return err
		}
	}
	return nil
}

func (h *hub) serverPath() string {
	return "/api/v1/namespaces/" + h.ns + "/servers/" + h.server
}

// workspace is the path of the server's base URL.
func (h *hub) workspace() string { return "/notebook/" + h.ns + "/" + h.server + "/" }

// api calls the JSON API as the signed-in user.
func (h *hub) api(ctx context.Context, method, path, body string, want int, out any) error {
	req, _ := http.NewRequestWithContext(ctx, method, h.url+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Cookie", h.cookie)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("spawnhub %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		var e struct{ Error string }
		_ = json.NewDecoder(res.Body).Decode(&e)
		return fmt.Errorf("spawnhub %s %s: status %d (%s), want %d", method, path, res.StatusCode, e.Error, want)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// close stops the workspace through the API, then spawnhub; the backend
// is killed by pid if it outlived both.
func (h *hub) close() {
	if h.server != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = h.api(ctx, http.MethodPost, h.serverPath()+"/stop", "", http.StatusAccepted, nil)
		for ctx.Err() == nil {
			var srv struct{ Phase string }
			if h.api(ctx, http.MethodGet, h.serverPath(), "", http.StatusOK, &srv) != nil || srv.Phase == "stopped" {
				break
			}
			_ = sleep(ctx, 100*time.Millisecond)
		}
	}
	h.proc.stop(syscall.SIGTERM, 30*time.Second)
	if h.backend.PID <= 0 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", h.backend.PID))
	if err == nil && bytes.Contains(cmdline, []byte("-backend-info")) {
		_ = syscall.Kill(h.backend.PID, syscall.SIGKILL) // still ours: not stopped by spawnhub
	}
}
