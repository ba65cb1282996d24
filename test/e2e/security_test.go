package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spawnhub/spawnhub/test/poll"
)

// TestBrowserProtections: a cross-site POST and a websocket from a foreign
// Origin are refused, whatever cookies the browser attaches.
func TestBrowserProtections(t *testing.T) {
	hub, users := startDemoHub(t, "alice")
	alice := users["alice"]
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)

	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		req, _ := http.NewRequest("POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/stop", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := alice.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST with %v: %d, want 403", h, res.StatusCode)
		}
	}
	if s := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/"+name, nil); s["phase"] != "running" {
		t.Errorf("after refused cross-site stops the server is %v, want running", s["phase"])
	}

	// DNS rebinding: a page of evil.example whose name now resolves to
	// this machine may not sign in or use anything, even in development
	// mode.
	for _, try := range []struct{ method, path string }{{"GET", "/"}, {"POST", "/login"}, {"GET", "/notebook/alice/" + name + "/"}} {
		req, _ := http.NewRequest(try.method, hub.URL+try.path, strings.NewReader("username=mallory"))
		req.Host = "evil.example" + hub.URL[strings.LastIndex(hub.URL, ":"):]
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", sessionCookie(alice, hub.URL))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("%s %s with Host %s: %d, want 421", try.method, try.path, req.Host, res.StatusCode)
		}
	}

	// The proxy's errors are in the caller's language too.
	req, _ := http.NewRequest("GET", hub.URL+"/notebook/alice/"+name+"/api/status", nil)
	req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9")
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var body struct{ Error string }
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || body.Error != "Authentification requise." {
			t.Errorf("anonymous workspace request in French: %d %q, want 401 in French", res.StatusCode, body.Error)
		}
	}

	h := http.Header{"Cookie": {sessionCookie(alice, hub.URL)}, "Origin": {"https://evil.example"}}
	_, res, err := (&websocketDialer).Dial("ws"+strings.TrimPrefix(hub.URL, "http")+"/notebook/alice/"+name+"/ws", h)
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("websocket from a foreign Origin: %v, want 403", err)
	}
}

// TestPathTricksNeverReachAnotherNamespace sends bob's requests with paths
// crafted to land in alice's namespace. None may reach her server.
func TestPathTricksNeverReachAnotherNamespace(t *testing.T) {
	hub, users := startDemoHub(t, "alice", "bob")
	srv := mustCall(t, users["alice"], http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, users["alice"], hub.URL, "alice", name)
	host := strings.TrimPrefix(hub.URL, "http://")
	// the control: alice's own cookie on the plain path of her workspace
	// origin does reach it
	aliceOrigin := signInWorkspace(t, users["alice"], hub.URL, "/notebook/alice/"+name+"/")
	if status, body := rawGet(t, strings.TrimPrefix(aliceOrigin, "http://"), "/notebook/alice/"+name+"/api/status", sessionCookie(users["alice"], aliceOrigin)); status != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("alice GET her server: %d %q, want 200 ok", status, body)
	}
	// bob tries from the hub with his hub cookie, and from his own
	// workspace origin with its cookie
	bobOrigin := signInWorkspace(t, users["bob"], hub.URL, "/notebook/bob/x/")
	tries := []struct{ host, cookie string }{
		{host, sessionCookie(users["bob"], hub.URL)},
		{strings.TrimPrefix(bobOrigin, "http://"), sessionCookie(users["bob"], bobOrigin)},
	}

	for _, path := range []string{
		"/notebook/bob/../alice/" + name + "/api/status",
		"/notebook/bob/%2e%2e/alice/" + name + "/api/status",
		"/notebook/bob/%2E%2E/%2E%2E/notebook/alice/" + name + "/api/status",
		"/notebook/bob%2falice/" + name + "/api/status",
		"/notebook/bob%2F..%2Falice/" + name + "/api/status",
		"/notebook//alice/" + name + "/api/status",
		"//notebook/alice/" + name + "/api/status",
		"/notebook/ALICE/" + name + "/api/status",
		"/notebook/Alice/" + name + "/api/status",
		"/notebook/alice/" + strings.ToUpper(name) + "/api/status",
		"/notebook/./alice/" + name + "/api/status",
		"/notebook/alice%00/" + name + "/api/status",
		"/notebook/bob/x/../../alice/" + name + "/api/status",
		"/notebook/alice/" + name + "%2f..%2f..%2fbob/x/api/status",
	} {
		for _, try := range tries {
			status, body := rawGet(t, try.host, path, try.cookie)
			if status == http.StatusOK || strings.Contains(body, `"ok":true`) {
				t.Errorf("bob GET %s on %s: %d %q — reached alice's server", path, try.host, status, body)
			}
		}
	}
}

// rawGet sends a request line exactly as given (no client-side cleaning)
// to host (*.localhost dialled on loopback).
func rawGet(t *testing.T, host, path, cookie string) (int, string) {
	t.Helper()
	conn, err := loopbackDialer()(t.Context(), "tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n", path, host, cookie)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err.Error() // the server refused to parse it: not reached
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestRevocationReachesEveryReplica runs two replicas on one Redis: a
// session logged out on one and a token revoked on one stop working on the
// other, and the websocket opened on the other with that token is closed.
func TestRevocationReachesEveryReplica(t *testing.T) {
	redisAddr := startRedis(t)
	env := func() spawnhubEnv {
		return spawnhubEnv{config: demoOnlyConfig, env: []string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
			"SPAWNHUB_DATADIR=" + t.TempDir(),
			"SPAWNHUB_STORE_DRIVER=redis",
			"SPAWNHUB_STORE_REDIS_ADDR=" + redisAddr,
			"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("r", 40),
		}}
	}
	var cleaner *http.Client // a session of its own: the test logs alice's out
	withCleanup := env()
	withCleanup.beforeStop = func(base string) { stopAllServers(t, cleaner, base, "alice") }
	a, b := startSpawnhub(t, withCleanup), startSpawnhub(t, env())
	alice := login(t, a.URL, "alice")
	cleaner = login(t, a.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", a.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	waitRunning(t, alice, a.URL, "alice", srv["name"].(string))

	token := mustCall(t, alice, http.StatusCreated, "POST", a.URL+"/api/v1/tokens", map[string]any{"name": "ci", "expiresIn": "1h"})
	secret := token["token"].(string)
	bearer := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	onB := func() int {
		req, _ := http.NewRequest("GET", b.URL+"/api/v1/me", nil)
		req.Header.Set("Cookie", sessionCookie(alice, a.URL))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := onB(); got != http.StatusOK {
		t.Fatalf("alice's session on replica B: %d, want 200", got)
	}
	if got := bearer(b.URL); got != http.StatusOK {
		t.Fatalf("alice's token on replica B: %d, want 200", got)
	}
	listed := mustCall(t, alice, http.StatusOK, "GET", a.URL+"/api/v1/tokens", nil)
	if fmt.Sprint(listed) == "" || strings.Contains(fmt.Sprint(listed), secret) {
		t.Errorf("token list %v must not contain the secret", listed)
	}

	ws, _, err := websocketDialer.Dial("ws"+strings.TrimPrefix(b.URL, "http")+"/notebook/alice/"+srv["name"].(string)+"/ws",
		http.Header{"Authorization": {"Bearer " + secret}})
	if err != nil {
		t.Fatalf("websocket with the token on B: %v", err)
	}
	defer ws.Close()

	mustCall(t, alice, http.StatusNoContent, "DELETE", a.URL+"/api/v1/tokens/"+token["id"].(string), nil)
	poll.Until(t, 5*time.Second, "revoked token refused on B", func() bool { return bearer(b.URL) == http.StatusUnauthorized })
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ce *websocket.CloseError
	if _, _, err := ws.ReadMessage(); !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("websocket opened on B with the revoked token: read = %v, want close 1008", err)
	}

	cookie := sessionCookie(alice, a.URL)
	res, err := alice.PostForm(a.URL+"/logout", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	replay := func() int {
		req, _ := http.NewRequest("GET", b.URL+"/api/v1/me", nil)
		req.Header.Set("Cookie", cookie) // the old cookie, replayed
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	poll.Until(t, 5*time.Second, "logged-out session refused on B", func() bool { return replay() == http.StatusUnauthorized })
}
