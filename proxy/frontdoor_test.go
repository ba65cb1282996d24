package proxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// frontDoor is the proxy's front door with the hub on http://hub.test and
// workspaces on http://{ns}.ws.test. alice has a hub cookie
// ("alice-secret") and a cookie of her workspace origin ("alice-ws").
type frontDoor struct {
	*harness
	door *httptest.Server
	hub  http.Handler
}

// fakeHandshake redeems the code "good" on alice's origin only.
type fakeHandshake struct{}

func (fakeHandshake) Redeem(_ context.Context, code, host string) (string, time.Time, error) {
	if code == "good" && host == "alice.ws.test" {
		return "alice-ws", time.Now().Add(time.Hour), nil
	}
	return "", time.Time{}, auth.ErrUnauthenticated
}

func newFrontDoor(t testing.TB, configure ...func(*Options)) *frontDoor {
	t.Helper()
	hubURL, _ := url.Parse("http://hub.test")
	origins, err := auth.NewOrigins(hubURL, "http://{ns}.ws.test", false, false)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(o *Options) {
		o.Origins, o.Handshake, o.AnyHost = origins, fakeHandshake{}, []string{"/healthz"}
		o.Auth = &fakeAuth{users: map[string]auth.Identity{
			"alice-secret": {UserID: "alice", Namespace: "alice", SessionID: "alice-session"},
			"alice-token":  {UserID: "alice", Namespace: "alice", TokenID: "tok", TokenHash: "h"},
			"alice-ws":     {UserID: "alice", Namespace: "alice", SessionID: "alice-session", Audience: "alice.ws.test"},
		}}
		for _, c := range configure {
			c(o)
		}
	})
	hub := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	f := &frontDoor{harness: h, hub: hub, door: httptest.NewServer(h.p.FrontDoor(hub))}
	t.Cleanup(f.door.Close)
	return f
}

// send makes a request for host; header holds pairs.
func (f *frontDoor) send(method, host, path string, header ...string) *http.Response {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.door.URL+path, nil)
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func TestFrontDoorRoutesByHost(t *testing.T) {
	f := newFrontDoor(t)
	f.route("lab", httpBackend(t), store.Route{})
	html := "text/html"
	for _, tt := range []struct {
		name, method, host, path string
		header                   []string
		want                     int
		wantLocation             string
	}{
		{"a foreign host (DNS rebinding)", "GET", "evil.example", "/", nil, 421, ""},
		{"a foreign host for a workspace", "GET", "evil.example", "/notebook/alice/lab/", []string{"Cookie", "spawnhub_session=alice-secret"}, 421, ""},
		{"the hub's pages", "GET", "hub.test", "/", nil, http.StatusTeapot, ""},
		{"a health check by the pod's address", "GET", "10.1.2.3:8000", "/healthz", nil, http.StatusTeapot, ""},
		{"a page by the pod's address", "GET", "10.1.2.3:8000", "/healthz/x", nil, 421, ""},
		{"the hub's cookie never relays", "GET", "hub.test", "/notebook/alice/lab/tree?a=1", []string{"Cookie", "spawnhub_session=alice-secret"}, 302, "http://alice.ws.test/notebook/alice/lab/tree?a=1"},
		{"a token relays on the hub", "GET", "hub.test", "/notebook/alice/lab/", []string{"Authorization", "Bearer alice-token"}, 200, ""},
		{"the workspace origin with its cookie", "GET", "alice.ws.test", "/notebook/alice/lab/", []string{"Cookie", "spawnhub_workspace=alice-ws"}, 200, ""},
		{"a token on the workspace origin", "GET", "alice.ws.test", "/notebook/alice/lab/", []string{"Authorization", "Bearer alice-token"}, 200, ""},
		{"the hub's cookie on a workspace origin", "GET", "alice.ws.test", "/notebook/alice/lab/", []string{"Cookie", "spawnhub_session=alice-secret"}, 302, "http://hub.test/authorize?"},
		{"alice's cookie on bob's origin", "GET", "bob.ws.test", "/notebook/bob/lab/", []string{"Cookie", "spawnhub_workspace=alice-ws"}, 302, "http://hub.test/authorize?"},
		{"another namespace on an origin", "GET", "bob.ws.test", "/notebook/alice/lab/", []string{"Authorization", "Bearer alice-token"}, 404, ""},
		{"the hub's API on a workspace origin", "GET", "alice.ws.test", "/api/v1/me", []string{"Authorization", "Bearer alice-token"}, 404, ""},
		{"cross-origin POST to a workspace", "POST", "alice.ws.test", "/notebook/alice/lab/api/kernels", []string{"Cookie", "spawnhub_workspace=alice-ws", "Origin", "http://bob.ws.test"}, 403, ""},
		{"a POST from the hub to a workspace", "POST", "alice.ws.test", "/notebook/alice/lab/api/kernels", []string{"Cookie", "spawnhub_workspace=alice-ws", "Origin", "http://hub.test"}, 403, ""},
		{"same-site POST to a workspace", "POST", "alice.ws.test", "/notebook/alice/lab/api/kernels", []string{"Cookie", "spawnhub_workspace=alice-ws", "Sec-Fetch-Site", "same-site"}, 403, ""},
		{"same-origin POST to a workspace", "POST", "alice.ws.test", "/notebook/alice/lab/api/kernels", []string{"Cookie", "spawnhub_workspace=alice-ws", "Origin", "http://alice.ws.test"}, 200, ""},
		{"a bad sign-in code", "GET", "alice.ws.test", "/_spawnhub/callback?code=bad&state=s&next=/notebook/alice/lab/", []string{"Cookie", "spawnhub_state=s"}, 400, ""},
		{"a code without this browser's state", "GET", "alice.ws.test", "/_spawnhub/callback?code=good&state=s&next=/notebook/alice/lab/", nil, 400, ""},
		{"a code for another origin", "GET", "bob.ws.test", "/_spawnhub/callback?code=good&state=s&next=/notebook/bob/lab/", []string{"Cookie", "spawnhub_state=s"}, 400, ""},
		{"a good code", "GET", "alice.ws.test", "/_spawnhub/callback?code=good&state=s&next=/notebook/alice/lab/x", []string{"Cookie", "spawnhub_state=s"}, 302, "/notebook/alice/lab/x"},
		{"a good code going elsewhere", "GET", "alice.ws.test", "/_spawnhub/callback?code=good&state=s&next=//evil.example/", []string{"Cookie", "spawnhub_state=s"}, 302, "http://hub.test/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send(tt.method, tt.host, tt.path, append(tt.header, "Accept", html)...)
			if res.StatusCode != tt.want {
				t.Fatalf("%s %s on %s: %d, want %d", tt.method, tt.path, tt.host, res.StatusCode, tt.want)
			}
			if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, tt.wantLocation) || (!strings.HasSuffix(tt.wantLocation, "?") && loc != tt.wantLocation) {
				t.Errorf("Location = %q, want %q", loc, tt.wantLocation)
			}
		})
	}
}

func TestWorkspaceOriginSignInRedirect(t *testing.T) {
	f := newFrontDoor(t)
	f.route("lab", httpBackend(t), store.Route{})
	res := f.send("GET", "alice.ws.test", "/notebook/alice/lab/tree?a=1", "Accept", "text/html")
	loc, _ := res.Location()
	if res.StatusCode != 302 || loc.Host != "hub.test" || loc.Path != auth.AuthorizePath ||
		loc.Query().Get("next") != "http://alice.ws.test/notebook/alice/lab/tree?a=1" {
		t.Fatalf("unauthenticated navigation: %d %v, want the hub's authorize step for the same URL", res.StatusCode, loc)
	}
	var state *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "spawnhub_state" {
			state = c
		}
	}
	if state == nil || state.Value != loc.Query().Get("state") || !state.HttpOnly || state.Domain != "" {
		t.Errorf("state cookie %+v, want the state of the redirect, host-only and HttpOnly", state)
	}
	if res := f.send("GET", "alice.ws.test", "/notebook/alice/lab/api/kernels"); res.StatusCode != 401 {
		t.Errorf("unauthenticated script: %d, want 401", res.StatusCode)
	}
	res = f.send("GET", "alice.ws.test", "/_spawnhub/callback?code=good&state=st&next=/notebook/alice/lab/", "Cookie", "spawnhub_state=st")
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "spawnhub_workspace" {
			session = c
		}
	}
	if session == nil || session.Value != "alice-ws" || !session.HttpOnly || session.Domain != "" || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("callback cookie %+v, want the origin's session, host-only, HttpOnly, SameSite=Lax", session)
	}
}

// TestWorkspaceResponsesCannotTouchTheHub: a hostile server's headers that
// would set spawnhub's cookies, clear the site's data or widen a service
// worker's scope are dropped; forwarding headers a client forged are
// replaced; spawnhub's cookies never reach the server.
func TestWorkspaceResponsesCannotTouchTheHub(t *testing.T) {
	f := newFrontDoor(t)
	var seen http.Header
	hostile := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		h := w.Header()
		h.Add("Set-Cookie", "spawnhub_session=bob; Path=/api")
		h.Add("Set-Cookie", "__Host-spawnhub_workspace=bob; Path=/")
		h.Add("Set-Cookie", "theirs=1; Path=/notebook/alice/lab/")
		h.Set("Clear-Site-Data", `"cookies", "storage"`)
		h.Set("Service-Worker-Allowed", "/")
	}))
	f.route("lab", hostile, store.Route{})
	res := f.send("GET", "alice.ws.test", "/notebook/alice/lab/", "Cookie", "spawnhub_workspace=alice-ws; spawnhub_lang=fr; theirs=1",
		"X-Real-IP", "6.6.6.6", "X-Forwarded-User", "admin", "X-Forwarded-For", "6.6.6.6")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := res.Header["Set-Cookie"]; len(got) != 1 || !strings.HasPrefix(got[0], "theirs=") {
		t.Errorf("Set-Cookie = %q, want only the server's own cookie", got)
	}
	for _, h := range []string{"Clear-Site-Data", "Service-Worker-Allowed"} {
		if v := res.Header.Get(h); v != "" {
			t.Errorf("%s: %q reached the browser", h, v)
		}
	}
	if c := seen.Get("Cookie"); c != "theirs=1" {
		t.Errorf("the server saw Cookie %q, want only its own", c)
	}
	if ip := seen.Get("X-Real-Ip"); ip != "127.0.0.1" || seen.Get("X-Forwarded-For") != "127.0.0.1" || seen.Get("X-Forwarded-User") != "" {
		t.Errorf("the server saw X-Real-IP %q, X-Forwarded-For %q, X-Forwarded-User %q: want the proxy's, not the client's",
			ip, seen.Get("X-Forwarded-For"), seen.Get("X-Forwarded-User"))
	}
}

func TestWorkspaceWebsocketOrigin(t *testing.T) {
	f := newFrontDoor(t)
	f.route("lab", newWSBackend(t).Server, store.Route{})
	dial := func(origin string) int {
		h := http.Header{"Cookie": {"spawnhub_workspace=alice-ws"}, "Origin": {origin}}
		u := "ws" + strings.TrimPrefix(f.door.URL, "http") + "/notebook/alice/lab/ws"
		h.Set("Host", "alice.ws.test")
		c, res, err := websocket.DefaultDialer.Dial(u, h)
		if err == nil {
			c.Close()
			return http.StatusSwitchingProtocols
		}
		if res == nil {
			t.Fatalf("dial: %v", err)
		}
		return res.StatusCode
	}
	for origin, want := range map[string]int{
		"http://alice.ws.test": http.StatusSwitchingProtocols,
		"http://bob.ws.test":   http.StatusForbidden,
		"http://hub.test":      http.StatusForbidden,
	} {
		if got := dial(origin); got != want {
			t.Errorf("websocket from %s: %d, want %d", origin, got, want)
		}
	}
}
