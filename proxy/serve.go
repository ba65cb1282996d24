package proxy

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// ServeHTTP relays a request under /notebook/<ns>/<server>/ to its server.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := p.admit(w, r)
	if !ok {
		return
	}
	if a.ws {
		p.serveWebsocket(w, r, a.t, a.u, a.id)
		return
	}
	p.activity.mark(a.t.key, time.Now())
	if p.opts.RenewSession != nil {
		p.opts.RenewSession(w, a.id)
	}
	a.u.rp.ServeHTTP(w, r)
}

// admitted is a request the proxy will relay.
type admitted struct {
	t  target
	u  *upstream
	id auth.Identity
	ws bool // a websocket upgrade
}

// admit parses the path, authenticates the caller, checks access and finds
// the route; when any step fails it answers the request itself and returns
// false. With a cached route and an authenticator that caches, it does not
// allocate.
func (p *Proxy) admit(w http.ResponseWriter, r *http.Request) (a admitted, ok bool) {
	t, err := parsePath(r.URL.EscapedPath())
	if errors.Is(err, errNoSlashes) {
		p.addSlash(w, r, t)
		return a, false
	}
	if err != nil {
		p.writeError(w, http.StatusNotFound, "not found")
		return a, false
	}
	ws := websocket.IsWebSocketUpgrade(r)
	if ws && !p.originAllowed(r) {
		p.writeError(w, http.StatusForbidden, "websocket from a foreign origin")
		return a, false
	}
	id, ok := p.authenticate(w, r, ws)
	if !ok {
		return a, false
	}
	if !p.opts.Access.CanConnect(r.Context(), id, t.ns) {
		p.writeError(w, http.StatusNotFound, "not found")
		return a, false
	}
	u, err := p.route(r.Context(), t)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.fallback.ServeHTTP(w, r)
		return a, false
	case err != nil:
		p.log.WarnContext(r.Context(), "route lookup", "server", t.key, "err", err)
		p.writeError(w, http.StatusServiceUnavailable, "the server's route is unavailable")
		return a, false
	}
	return admitted{t: t, u: u, id: id, ws: ws}, true
}

// authenticate returns the caller, or answers the request itself: browsers
// go to the login page, API and websocket clients get 401.
func (p *Proxy) authenticate(w http.ResponseWriter, r *http.Request, ws bool) (auth.Identity, bool) {
	id, err := p.opts.Auth.Authenticate(r)
	if err == nil {
		return id, true
	}
	if !errors.Is(err, auth.ErrUnauthenticated) {
		p.log.WarnContext(r.Context(), "authentication unavailable", "err", err)
		p.writeError(w, http.StatusServiceUnavailable, "authentication is unavailable")
		return id, false
	}
	if !ws && r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		p.metrics.request(http.StatusFound)
		http.Redirect(w, r, p.loginURL(r), http.StatusFound)
		return id, false
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	p.writeError(w, http.StatusUnauthorized, "authentication required")
	return id, false
}

// loginURL is LoginURL?next=<the original path and query>.
func (p *Proxy) loginURL(r *http.Request) string {
	sep := "?"
	if strings.Contains(p.opts.LoginURL, "?") {
		sep = "&"
	}
	return p.opts.LoginURL + sep + "next=" + url.QueryEscape(r.URL.RequestURI())
}

// addSlash redirects /notebook/<ns>/<server> to /notebook/<ns>/<server>/,
// keeping the query.
func (p *Proxy) addSlash(w http.ResponseWriter, r *http.Request, t target) {
	loc := t.prefix + "/"
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	code := http.StatusFound
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		code = http.StatusTemporaryRedirect
	}
	p.metrics.request(code)
	w.Header().Set("Location", loc)
	w.WriteHeader(code)
}

// errorBody is the JSON error every spawnhub endpoint answers with.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field"`
}

func (p *Proxy) writeError(w http.ResponseWriter, status int, msg string) {
	p.metrics.request(status)
	writeError(w, status, msg)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg})
}

// notRunning is the fallback when none is configured.
func notRunning(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusServiceUnavailable, "the server is not running")
}
