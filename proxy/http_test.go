package proxy

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

func TestUnauthenticated(t *testing.T) {
	h := newHarness(t)
	h.route("lab", httpBackend(t), store.Route{})
	for _, tt := range []struct {
		name     string
		header   []string
		want     int
		location string
	}{
		{"browser", []string{"Accept", "text/html,application/xhtml+xml"}, http.StatusFound,
			"/login?next=%2Fnotebook%2Falice%2Flab%2Ftree%3Fx%3D1%26y%3D2"},
		{"api", []string{"Accept", "application/json"}, http.StatusUnauthorized, ""},
		{"no accept", nil, http.StatusUnauthorized, ""},
		{"bad token", []string{"Authorization", "Bearer nope", "Accept", "application/json"}, http.StatusUnauthorized, ""},
		{"websocket", []string{"Accept", "text/html", "Connection", "Upgrade", "Upgrade", "websocket",
			"Sec-Websocket-Version", "13", "Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, http.StatusUnauthorized, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := h.get("/notebook/alice/lab/tree?x=1&y=2", "", tt.header...)
			if res.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.want)
			}
			if tt.location != "" {
				if got := res.Header.Get("Location"); got != tt.location {
					t.Errorf("Location = %q, want %q", got, tt.location)
				}
				return
			}
			if body := decode[errorBody](t, res); body.Error == "" {
				t.Errorf("body error is empty, want a message")
			}
		})
	}
}

func TestForeignNamespaceIsNotFound(t *testing.T) {
	h := newHarness(t)
	h.route("lab", httpBackend(t), store.Route{})
	res := h.get("/notebook/alice/lab/", "bob-secret")
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("bob GET alice's server: status = %d, want 404", res.StatusCode)
	}
	if got := decode[errorBody](t, res).Error; got != "not found" {
		t.Errorf("error = %q, want %q", got, "not found")
	}
	if n := h.routes.count(); n != 0 {
		t.Errorf("route lookups = %d, want 0 (access is checked first)", n)
	}
}

func TestBadPathIsNotFound(t *testing.T) {
	h := newHarness(t)
	h.route("lab", httpBackend(t), store.Route{})
	for _, p := range []string{"/notebook/alice/lab/%2e%2e/x", "/notebook/Alice/lab/", "/notebook/alice/lab/..%2fx"} {
		if res := h.get(p, "alice-secret"); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", p, res.StatusCode)
		}
	}
}

func TestAddSlash(t *testing.T) {
	h := newHarness(t)
	res := h.get("/notebook/alice/lab?token=x", "")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/notebook/alice/lab/?token=x" {
		t.Errorf("got %d %q, want 302 %q", res.StatusCode, res.Header.Get("Location"), "/notebook/alice/lab/?token=x")
	}
}

func TestFallbackWhenNotRunning(t *testing.T) {
	var got string
	h := newHarness(t, func(o *Options) {
		o.Fallback = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.URL.Path
			w.WriteHeader(http.StatusTeapot)
		})
	})
	res := h.get("/notebook/alice/stopped/lab", "alice-secret")
	if res.StatusCode != http.StatusTeapot || got != "/notebook/alice/stopped/lab" {
		t.Errorf("got status %d, fallback path %q; want 418 from the fallback for %q", res.StatusCode, got, "/notebook/alice/stopped/lab")
	}
}

func TestDefaultFallbackIs503JSON(t *testing.T) {
	h := newHarness(t)
	res := h.get("/notebook/alice/stopped/", "alice-secret")
	if res.StatusCode != http.StatusServiceUnavailable || decode[errorBody](t, res).Error == "" {
		t.Errorf("status = %d, want 503 with a JSON error", res.StatusCode)
	}
}

func TestRewrite(t *testing.T) {
	h := newHarness(t)
	backend := httpBackend(t)
	h.route("lab", backend, store.Route{Token: "server-token"})
	res := h.get("/notebook/alice/lab/api/contents/a%2Fb?x=1", "",
		"Cookie", "_xsrf=abc; spawnhub_session=alice-secret; theme=dark",
		"X-Forwarded-For", "6.6.6.6", "X-Forwarded-Host", "evil.example")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	e := decode[echoed](t, res)
	for _, c := range []struct{ what, got, want string }{
		{"request URI", e.RequestURI, "/notebook/alice/lab/api/contents/a%2Fb?x=1"},
		{"Host", e.Host, strings.TrimPrefix(backend.URL, "http://")},
		{"Cookie", strings.Join(e.Header["Cookie"], "|"), "_xsrf=abc; theme=dark"},
		{"Authorization", strings.Join(e.Header["Authorization"], "|"), "token server-token"},
		{"X-Forwarded-For", e.Header.Get("X-Forwarded-For"), "127.0.0.1"},
		{"X-Forwarded-Host", e.Header.Get("X-Forwarded-Host"), strings.TrimPrefix(h.srv.URL, "http://")},
		{"X-Forwarded-Proto", e.Header.Get("X-Forwarded-Proto"), "http"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestRewriteWithoutToken(t *testing.T) {
	h := newHarness(t)
	h.route("lab", httpBackend(t), store.Route{})
	e := decode[echoed](t, h.get("/notebook/alice/lab/", "alice-secret", "Cookie", "spawnhub_session=x"))
	if _, ok := e.Header["Authorization"]; ok {
		t.Errorf("Authorization = %q, want none", e.Header["Authorization"])
	}
	if _, ok := e.Header["Cookie"]; ok {
		t.Errorf("Cookie = %q, want none", e.Header["Cookie"])
	}
}

func TestStripPrefix(t *testing.T) {
	h := newHarness(t)
	h.route("desk", httpBackend(t), store.Route{StripPrefix: true})
	for in, want := range map[string]string{
		"/notebook/alice/desk/":             "/",
		"/notebook/alice/desk/vnc.html?a=1": "/vnc.html?a=1",
		"/notebook/alice/desk/a%2Fb":        "/a%2Fb",
	} {
		if got := decode[echoed](t, h.get(in, "alice-secret")).RequestURI; got != want {
			t.Errorf("GET %s: backend saw %q, want %q", in, got, want)
		}
	}
}

func TestSetCookieForSessionIsDropped(t *testing.T) {
	h := newHarness(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "spawnhub_session=attacker; Path=/")
		w.Header().Add("Set-Cookie", "_xsrf=1; Path=/notebook/alice/lab/")
	}))
	t.Cleanup(backend.Close)
	h.route("lab", backend, store.Route{})
	got := h.get("/notebook/alice/lab/", "alice-secret").Header["Set-Cookie"]
	if len(got) != 1 || !strings.HasPrefix(got[0], "_xsrf=") {
		t.Errorf("Set-Cookie = %q, want only the _xsrf cookie", got)
	}
}

func TestRouteCacheInvalidation(t *testing.T) {
	h := newHarness(t)
	first, second := httpBackend(t), httpBackend(t)
	h.route("lab", first, store.Route{})
	hostOf := func() string { return decode[echoed](t, h.get("/notebook/alice/lab/", "alice-secret")).Host }
	want := func(step string, host string, lookups int) {
		t.Helper()
		if got := hostOf(); got != strings.TrimPrefix(host, "http://") {
			t.Errorf("%s: backend host = %q, want %q", step, got, host)
		}
		if n := h.routes.count(); n != lookups {
			t.Errorf("%s: route lookups = %d, want %d", step, n, lookups)
		}
	}
	want("first request", first.URL, 1)
	want("cached", first.URL, 1)

	h.route("lab", second, store.Route{})
	want("before the publish", first.URL, 1)
	h.pubsub.publish(t, store.TopicRoutes, "alice/lab")
	want("after the publish", second.URL, 2)

	h.route("lab", first, store.Route{})
	h.pubsub.publish(t, store.TopicRoutes, "") // resync
	want("after a resync", first.URL, 3)
}

func TestNoRouteIsNotCached(t *testing.T) {
	h := newHarness(t)
	if res := h.get("/notebook/alice/lab/", "alice-secret"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("before the route: status = %d, want 503", res.StatusCode)
	}
	h.route("lab", httpBackend(t), store.Route{})
	if res := h.get("/notebook/alice/lab/", "alice-secret"); res.StatusCode != http.StatusOK {
		t.Errorf("right after the route is set: status = %d, want 200", res.StatusCode)
	}
}

func TestUpstreamDown(t *testing.T) {
	h := newHarness(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h.routes.set("alice", "lab", store.Route{Target: "http://" + addr})
	res := h.get("/notebook/alice/lab/", "alice-secret")
	if res.StatusCode != http.StatusBadGateway || decode[errorBody](t, res).Error == "" {
		t.Errorf("status = %d, want 502 with a JSON error", res.StatusCode)
	}
	if n := h.p.cache.len(); n != 0 {
		t.Errorf("cached routes after a refused connection = %d, want 0", n)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ResponseHeaderTimeout = 50 * time.Millisecond })
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	h.route("lab", slow, store.Route{})
	res := h.get("/notebook/alice/lab/", "alice-secret")
	if res.StatusCode != http.StatusGatewayTimeout || decode[errorBody](t, res).Error == "" {
		t.Errorf("status = %d, want 504 with a JSON error", res.StatusCode)
	}
}

func TestActivityFromRequests(t *testing.T) {
	h := newHarness(t)
	h.route("lab", httpBackend(t), store.Route{})
	before := time.Now()
	h.get("/notebook/alice/lab/", "alice-secret")
	h.get("/notebook/alice/lab/", "bob-secret") // refused: no activity
	h.p.flushActivity(context.Background())
	marks := h.activity.get()
	if got := marks[store.Key{Namespace: "alice", Name: "lab"}]; got.Before(before) {
		t.Errorf("activity of alice/lab = %v, want after %v", got, before)
	}
	if len(marks) != 1 {
		t.Errorf("activity = %v, want only alice/lab", marks)
	}
}

func TestActivityFlushedWhenRunEnds(t *testing.T) {
	act := &fakeActivity{marks: make(map[store.Key]time.Time)}
	p := New(Options{Activity: act, PubSub: newFakePubSub(), ActivityTick: make(chan time.Time), PingTick: make(chan time.Time)})
	p.activity.mark("alice/lab", time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if _, ok := act.get()[store.Key{Namespace: "alice", Name: "lab"}]; !ok {
		t.Errorf("activity after Run ended = %v, want alice/lab", act.get())
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	h := newHarness(t, func(o *Options) { o.Metrics = reg })
	h.route("lab", httpBackend(t), store.Route{})
	h.get("/notebook/alice/lab/", "alice-secret")
	h.get("/notebook/alice/lab/", "bob-secret")
	if got := counterValue(t, h.p.metrics.byClass[2]); got != 1 {
		t.Errorf("2xx requests = %v, want 1", got)
	}
	if got := counterValue(t, h.p.metrics.byClass[4]); got != 1 {
		t.Errorf("4xx requests = %v, want 1", got)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fams {
		names = append(names, f.GetName())
	}
	if got := strings.Join(names, " "); got != "spawnhub_proxy_requests_total spawnhub_proxy_websockets_open" {
		t.Errorf("gathered %q, want the requests counter and the websockets gauge", got)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestSessionRenewedOnRelayedRequests: people who only work inside their
// server keep a sliding session — the renewal hook runs for the caller of
// every relayed request, and its cookie reaches the client beside the
// server's own.
func TestSessionRenewedOnRelayedRequests(t *testing.T) {
	var renewedFor []string
	h := newHarness(t, func(o *Options) {
		o.RenewSession = func(w http.ResponseWriter, id auth.Identity) {
			renewedFor = append(renewedFor, id.SessionID)
			http.SetCookie(w, &http.Cookie{Name: "spawnhub_session", Value: "renewed"})
		}
	})
	h.route("lab", httpBackend(t), store.Route{})
	res := h.get("/notebook/alice/lab/tree", "alice-secret")
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	if got := res.Header.Get("Set-Cookie"); got != "spawnhub_session=renewed" {
		t.Errorf("Set-Cookie = %q, want the renewed session", got)
	}
	if len(renewedFor) != 1 || renewedFor[0] != "alice-session" {
		t.Errorf("renewal hook called for %v, want [alice-session]", renewedFor)
	}
}
