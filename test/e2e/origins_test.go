package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spawnhub/spawnhub/test/poll"
)

// TestWorkspaceOriginsAcrossReplicas runs two replicas behind one public
// URL and one workspace URL template (as behind a load balancer), on one
// Redis: a browser signs in to its workspace origin through replica A,
// uses that origin's cookie on replica B, cannot redeem a sign-in code
// twice even on another replica, and logging out of the hub on A ends the
// workspace session on B and closes the websocket it opened there.
func TestWorkspaceOriginsAcrossReplicas(t *testing.T) {
	redisAddr := startRedis(t)
	portA := freePort(t)
	hubURL := fmt.Sprintf("http://127.0.0.1:%d", portA)
	env := func(port int) spawnhubEnv {
		return spawnhubEnv{config: demoOnlyConfig, env: []string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(port),
			"SPAWNHUB_PUBLICURL=" + hubURL,
			"SPAWNHUB_WORKSPACEURL=" + fmt.Sprintf("http://{ns}.localhost:%d", portA),
			"SPAWNHUB_DATADIR=" + t.TempDir(),
			"SPAWNHUB_STORE_DRIVER=redis",
			"SPAWNHUB_STORE_REDIS_ADDR=" + redisAddr,
			"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("o", 40),
		}}
	}
	var cleaner *http.Client // a session of its own: the test logs alice's out
	withCleanup := env(portA)
	withCleanup.beforeStop = func(base string) { stopAllServers(t, cleaner, base, "alice") }
	a, b := startSpawnhub(t, withCleanup), startSpawnhub(t, env(freePort(t)))
	alice, cleaner := login(t, a.URL, "alice"), login(t, a.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", a.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, a.URL, "alice", name)
	path := "/notebook/alice/" + name + "/"
	origin := workspaceOrigin(hubURL, "alice")
	if srv["url"] != origin+path {
		t.Fatalf("url = %v, want %s", srv["url"], origin+path)
	}

	// The sign-in handshake, step by step, on replica A.
	first := get(t, alice, origin+path+"api/status", "text/html")
	authorize, _ := first.Location()
	if first.StatusCode != http.StatusFound || authorize.String() == "" || !strings.HasPrefix(authorize.String(), hubURL+"/authorize?") {
		t.Fatalf("unsigned navigation on the workspace origin: %d → %v, want the hub's authorize step", first.StatusCode, authorize)
	}
	second := get(t, alice, authorize.String(), "text/html")
	callback, _ := second.Location()
	if second.StatusCode != http.StatusFound || callback == nil || callback.Host != strings.TrimPrefix(origin, "http://") {
		t.Fatalf("authorize: %d → %v, want the workspace origin's callback", second.StatusCode, callback)
	}
	third := get(t, alice, callback.String(), "text/html")
	if loc := third.Header.Get("Location"); third.StatusCode != http.StatusFound || loc != path+"api/status" {
		t.Fatalf("callback: %d → %q, want back to %s", third.StatusCode, loc, path+"api/status")
	}
	if again := get(t, alice, callback.String(), "text/html"); again.StatusCode != http.StatusBadRequest {
		t.Errorf("the same code a second time: %d, want 400", again.StatusCode)
	}
	// bob may not be signed in to alice's origin: the hub refuses to mint
	// him a code there, and never redirects off-origin.
	bob := login(t, a.URL, "bob")
	for _, next := range []string{origin + path, "https://evil.example/notebook/alice/x/", hubURL + "/"} {
		res := get(t, bob, a.URL+"/authorize?state=s&next="+url.QueryEscape(next), "text/html")
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
			t.Errorf("bob's authorize for %s: %d to %q, want a refusal without a redirect", next, res.StatusCode, res.Header.Get("Location"))
		}
	}

	wsCookie := sessionCookie(alice, origin)
	if !strings.Contains(wsCookie, "spawnhub_workspace=") {
		t.Fatalf("no workspace cookie after the handshake: %q", wsCookie)
	}
	if strings.Contains(sessionCookie(alice, hubURL), "spawnhub_workspace=") || strings.Contains(wsCookie, "spawnhub_session=") {
		t.Fatalf("hub and workspace cookies mixed: hub %q, workspace %q", sessionCookie(alice, hubURL), wsCookie)
	}

	// Replica B serves the same origins from the shared state.
	onB := replicaClient(b.URL)
	status := func() int {
		req, _ := http.NewRequest("GET", origin+path+"api/status", nil)
		req.Header.Set("Cookie", wsCookie)
		res, err := onB.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("the workspace cookie on replica B: %d, want 200", got)
	}
	ws, _, err := (&websocket.Dialer{NetDialContext: onB.Transport.(*http.Transport).DialContext}).Dial(
		"ws"+strings.TrimPrefix(origin, "http")+path+"ws", http.Header{"Cookie": {wsCookie}, "Origin": {origin}})
	if err != nil {
		t.Fatalf("websocket on replica B: %v", err)
	}
	defer ws.Close()

	res, err := alice.PostForm(a.URL+"/logout", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	poll.Until(t, 5*time.Second, "the workspace session refused on B after logout", func() bool { return status() == http.StatusUnauthorized })
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ce *websocket.CloseError
	if _, _, err := ws.ReadMessage(); !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("websocket on B after logout: read = %v, want close 1008", err)
	}
}

// get sends a GET with an Accept header and returns the response (its body
// closed), redirects not followed.
func get(t *testing.T, c *http.Client, u, accept string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", accept)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// replicaClient sends every request to the replica at base, whatever host
// the URL names (as a load balancer would).
func replicaClient(base string) *http.Client {
	addr := strings.TrimPrefix(base, "http://")
	d := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
