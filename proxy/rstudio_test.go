package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
)

// rstudioLike behaves as RStudio Server does behind a path-rewriting proxy
// (Posit's "Running RStudio Server with a Proxy", and the issues of those
// who run it under a sub-path):
//   - it serves at "/" and answers 404 for the proxy's prefix;
//   - it builds its URLs from X-RStudio-Root-Path: without it, the sign-in
//     redirect is to /auth-sign-in at the site root;
//   - some redirects ignore the header: sign-out goes to an absolute
//     /auth-sign-in, and, as when www-address is set, to an absolute URL
//     of its own address;
//   - events/get_events is a long poll, answered when there is an event
//     (here: when release is closed) or after hold.
type rstudioLike struct {
	srv      *httptest.Server
	polling  chan struct{} // a long poll has arrived
	release  chan struct{} // answers the long polls
	hold     time.Duration
	rootPath chan string // X-RStudio-Root-Path of each sign-in page
}

func newRStudioLike(t *testing.T, hold time.Duration) *rstudioLike {
	rs := &rstudioLike{polling: make(chan struct{}, 8), release: make(chan struct{}), hold: hold, rootPath: make(chan string, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, rootPath(r)+"auth-sign-in?appUri=%2F", http.StatusFound)
	})
	mux.HandleFunc("GET /auth-sign-in", func(w http.ResponseWriter, r *http.Request) {
		rs.rootPath <- r.Header.Get("X-RStudio-Root-Path")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><head><base href="` + rootPath(r) + `"></head><body>Sign in</body></html>`))
	})
	mux.HandleFunc("GET /auth-sign-out", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/auth-sign-in") // the known absolute redirect
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("GET /www-address", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://"+r.Host+"/auth-sign-in?error=2")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("GET /help", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://support.posit.co/hc/en-us", http.StatusFound)
	})
	mux.HandleFunc("POST /events/get_events", func(w http.ResponseWriter, r *http.Request) {
		rs.polling <- struct{}{}
		select {
		case <-rs.release:
		case <-time.After(rs.hold):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"result": []map[string]any{{"type": "console_output", "data": "[1] 42"}}})
	})
	mux.HandleFunc("/notebook/", http.NotFound) // the prefix must be stripped
	rs.srv = httptest.NewServer(mux)
	t.Cleanup(rs.srv.Close)
	return rs
}

func rootPath(r *http.Request) string {
	if p := r.Header.Get("X-RStudio-Root-Path"); p != "" {
		return p
	}
	return "/"
}

// rstudioRoute is what spawner/form's rstudio profile puts in the route of
// alice/rs (the proxy does not import the spawner; form's tests check the
// profile gives this).
func rstudioRoute(timeout time.Duration) store.Route {
	return store.Route{StripPrefix: true, RewriteRedirects: true, ResponseTimeout: timeout,
		Headers: map[string]string{"X-Rstudio-Root-Path": "/notebook/alice/rs/", "X-Forwarded-Prefix": "/notebook/alice/rs"}}
}

func TestRStudioSignInStaysUnderThePrefix(t *testing.T) {
	h := newHarness(t)
	rs := newRStudioLike(t, time.Hour)
	h.route("rs", rs.srv, rstudioRoute(0))
	for path, want := range map[string]string{
		"/notebook/alice/rs/":              "/notebook/alice/rs/auth-sign-in?appUri=%2F", // from the header
		"/notebook/alice/rs/auth-sign-out": "/notebook/alice/rs/auth-sign-in",            // absolute, rewritten
		"/notebook/alice/rs/www-address":   "/notebook/alice/rs/auth-sign-in?error=2",    // its own address, rewritten
		"/notebook/alice/rs/help":          "https://support.posit.co/hc/en-us",          // another site, left
	} {
		res := h.get(path, "alice-secret")
		if got := res.Header.Get("Location"); res.StatusCode != http.StatusFound || got != want {
			t.Errorf("GET %s = %d Location %q, want 302 %q", path, res.StatusCode, got, want)
		}
	}
	res := h.get("/notebook/alice/rs/auth-sign-in?appUri=%2F", "alice-secret", "X-RStudio-Root-Path", "/elsewhere/")
	body := readAll(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<base href="/notebook/alice/rs/">`) {
		t.Errorf("sign-in page = %d %q, want 200 with the prefix as its base", res.StatusCode, body)
	}
	if got := <-rs.rootPath; got != "/notebook/alice/rs/" {
		t.Errorf("RStudio saw X-RStudio-Root-Path %q, want /notebook/alice/rs/ (the client's value replaced)", got)
	}
}

func TestRStudioWithoutItsProfileLeavesThePrefix(t *testing.T) {
	// The same server behind a plain stripping route: what breaks without
	// the profile (a 404 at the site root).
	h := newHarness(t)
	rs := newRStudioLike(t, time.Hour)
	h.route("rs", rs.srv, store.Route{StripPrefix: true})
	if got := h.get("/notebook/alice/rs/", "alice-secret").Header.Get("Location"); got != "/auth-sign-in?appUri=%2F" {
		t.Errorf("Location = %q, want RStudio's bare /auth-sign-in?appUri=%%2F", got)
	}
}

func TestRStudioLongPollOutlivesTheProxyTimeout(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ResponseHeaderTimeout = 50 * time.Millisecond })
	rs := newRStudioLike(t, time.Hour)
	h.route("rs", rs.srv, rstudioRoute(time.Hour))
	h.route("plain", rs.srv, store.Route{StripPrefix: true})

	long := make(chan *http.Response, 1)
	go func() { long <- h.post("/notebook/alice/rs/events/get_events", "alice-secret") }()
	<-rs.polling
	// While that poll is held, the proxy's own timeout cuts a route
	// without one of its own...
	go func() { <-rs.polling }()
	if res := h.post("/notebook/alice/plain/events/get_events", "alice-secret"); res.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("long poll on a plain route = %d, want 504 (the proxy's 50ms timeout)", res.StatusCode)
	}
	// ...and the RStudio route's poll is still there, answered once
	// RStudio has an event.
	close(rs.release)
	res := <-long
	if body := readAll(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, "[1] 42") {
		t.Errorf("RStudio long poll = %d %q, want 200 with the event", res.StatusCode, body)
	}
}

func TestRStudioSeventySecondLongPoll(t *testing.T) {
	if testing.Short() {
		t.Skip("a real 70 s long poll; -short skips it")
	}
	t.Parallel()
	h := newHarness(t) // the proxy's defaults
	rs := newRStudioLike(t, 70*time.Second)
	h.route("rs", rs.srv, rstudioRoute(5*time.Minute))
	res := h.post("/notebook/alice/rs/events/get_events", "alice-secret")
	if body := readAll(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, "[1] 42") {
		t.Errorf("70 s long poll = %d %q, want 200 with the event", res.StatusCode, body)
	}
}

// post sends an empty-bodied POST through the proxy as the user with that
// secret.
func (h *harness) post(path, secret string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader("{}"))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := noRedirects.Do(req)
	if err != nil {
		h.t.Fatalf("POST %s: %v", path, err)
	}
	h.t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestRStudioWebsocketGetsTheRootPath(t *testing.T) {
	h := newHarness(t)
	seen := make(chan http.Header, 1)
	up := websocket.Upgrader{}
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	h.route("rs", backend, rstudioRoute(0))
	if _, _, err := h.dial("/notebook/alice/rs/p/58fab3e4/terminal/", http.Header{"Authorization": {"Bearer alice-secret"}, "X-Rstudio-Root-Path": {"/elsewhere/"}}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got.Get("X-RStudio-Root-Path") != "/notebook/alice/rs/" || len(got["X-Rstudio-Root-Path"]) != 1 {
		t.Errorf("websocket handshake X-RStudio-Root-Path = %q, want only /notebook/alice/rs/", got["X-Rstudio-Root-Path"])
	}
}
