package e2e

import (
	"fmt"
	"github.com/spawnhub/spawnhub/test/poll"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestJupyterThroughProxyWithRedis is the walking skeleton end to end:
// Redis state, a real Jupyter launched in one click, a kernel used through
// the proxy, other users kept out, a stopped server's URL, and a spawnhub
// crash that loses nothing.
func TestJupyterThroughProxyWithRedis(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	requireTool(t, "jupyter-notebook")
	outer := t
	redisAddr := startRedis(t)
	env := spawnhubEnv{env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
		"SPAWNHUB_DATADIR=" + t.TempDir(),
		"SPAWNHUB_STORE_DRIVER=redis",
		"SPAWNHUB_STORE_REDIS_ADDR=" + redisAddr,
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("s", 40),
	}}
	var alice *http.Client
	env.beforeStop = func(base string) { stopAllServers(t, alice, base, "alice") }
	hub := startSpawnhub(t, env)
	alice = login(t, hub.URL, "alice")

	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "jupyter-notebook"})
	name := srv["name"].(string)
	if want := workspaceOrigin(hub.URL, "alice") + "/notebook/alice/" + name + "/"; srv["url"] != want {
		t.Errorf("launch url = %v, want %s", srv["url"], want)
	}
	waitRunning(t, alice, hub.URL, "alice", name)
	base := hub.URL + "/notebook/alice/" + name

	status := mustCall(t, alice, http.StatusOK, "GET", base+"/api/status", nil)
	if _, ok := status["started"]; !ok {
		t.Errorf("api/status through the proxy = %v, want Jupyter's status", status)
	}
	kernel := mustCall(t, alice, http.StatusCreated, "POST", base+"/api/kernels", map[string]string{"name": "python3"})
	kernelPath := "/notebook/alice/" + name + "/api/kernels/" + kernel["id"].(string) + "/channels"
	ws, _, err := dialWS(t, alice, hub.URL, kernelPath)
	if err != nil {
		t.Fatalf("kernel websocket through the proxy: %v", err)
	}
	if got := executeOnKernel(t, ws, "6*7"); got != "42" {
		t.Errorf("6*7 on the kernel = %q, want 42", got)
	}
	ws.Close()

	t.Run("another user cannot reach it", func(t *testing.T) {
		bob := login(t, hub.URL, "bob")
		if got, _ := call(t, bob, "GET", base+"/api/status", nil); got != http.StatusNotFound {
			t.Errorf("bob GET alice's server: status %d, want 404", got)
		}
		_, res, err := dialWS(t, bob, hub.URL, kernelPath) // no session for him on alice's origin
		if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("bob websocket to alice's kernel: err %v, response %v, want 401", err, res)
		}
	})

	t.Run("crash and restart lose nothing", func(t *testing.T) {
		hub.kill()
		hub = startSpawnhub(outer, env)
		got := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/"+name, nil)
		if got["phase"] != "running" {
			t.Errorf("after restart phase = %v, want running", got["phase"])
		}
		mustCall(t, alice, http.StatusOK, "GET", base+"/api/status", nil) // the route survived, and so did the session
	})

	t.Run("stopped server", func(t *testing.T) {
		mustCall(t, alice, http.StatusAccepted, "POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/stop", nil)
		poll.Until(t, 30e9, "stopped", func() bool {
			_, s := call(t, alice, "GET", hub.URL+"/api/v1/namespaces/alice/servers/"+name, nil)
			return s["phase"] == "stopped"
		})
		assertNotRunningAnswers(t, alice, base+"/tree?x=1")
	})
}

// assertNotRunningAnswers checks both faces of a stopped server's URL: a
// page with a Start button for browsers, 503 JSON for API clients.
func assertNotRunningAnswers(t *testing.T, c *http.Client, u string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(page), `data-action="start"`) {
		t.Errorf("browser GET stopped server: status %d, page has Start button: %v", res.StatusCode, strings.Contains(string(page), `data-action="start"`))
	}
	if !strings.Contains(string(page), "x=1") {
		t.Errorf("Start page does not return to the deep link %s", u)
	}
	for _, method := range []string{"GET", "POST"} {
		got, body := call(t, c, method, u, nil)
		if got != http.StatusServiceUnavailable || body["error"] == nil || body["phase"] != "stopped" {
			t.Errorf("API %s stopped server: status %d body %v, want 503 with error and phase", method, got, body)
		}
	}
}
