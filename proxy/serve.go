package proxy

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/proxy/internal/h1"
	"github.com/spawnhub/spawnhub/store"
)

// ServeHTTP relays a request under /notebook/<ns>/<server>/ to its server,
// on the hub origin. Without Origins (tests, embedding) workspaces are
// served on whatever origin the request names.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, place{at: auth.PlaceHub})
}

// place is where a request arrived: the hub, or a workspace origin (its
// namespace, "" when one host serves every namespace, and its host).
type place struct {
	at   auth.Place
	ns   string
	host string
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, pl place) {
	a, ok := p.admit(w, r, pl)
	if !ok {
		return
	}
	if a.ws {
		p.serveWebsocket(w, r, a.t, a.u, a.id)
		return
	}
	if !ignoredRequest(a.u.ignore, r.Method, a.t.rest) {
		p.activity.mark(a.t.key, time.Now())
	}
	if p.opts.RenewSession != nil {
		p.opts.RenewSession(w, a.id)
	}
	if isUpgrade(r) { // another protocol than websocket: relayed by ReverseProxy
		w = &trackedUpgrade{ResponseWriter: w, p: p, t: a.t, id: a.id}
	} else if p.relayLean(w, r, a.u) {
		return
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
func (p *Proxy) admit(w http.ResponseWriter, r *http.Request, pl place) (a admitted, ok bool) {
	t, err := parsePath(h1.EscapedPath(r.URL))
	if errors.Is(err, errNoSlashes) && (pl.ns == "" || t.ns == pl.ns) {
		p.addSlash(w, r, t)
		return a, false
	}
	if err != nil || (pl.ns != "" && t.ns != pl.ns) {
		p.writeError(w, r, http.StatusNotFound, "proxy.not_found")
		return a, false
	}
	if isUpgrade(r) && !p.upgradeAllowed(w, r, pl) {
		return a, false
	}
	ws := websocket.IsWebSocketUpgrade(r)
	id, ok := p.authenticate(w, r, pl, ws)
	if !ok {
		return a, false
	}
	if !p.opts.Access.CanConnect(r.Context(), id, t.ns) {
		p.writeError(w, r, http.StatusNotFound, "proxy.not_found")
		return a, false
	}
	u, err := p.route(r.Context(), t)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.notRunning(w, r, pl)
		return a, false
	case err != nil:
		p.log.WarnContext(r.Context(), "route lookup", "server", t.key, "err", err)
		p.writeError(w, r, http.StatusServiceUnavailable, "proxy.route_unavailable")
		return a, false
	}
	if pl.at == auth.PlaceHub && p.separateOrigins() && id.SessionID != "" {
		p.toWorkspaceOrigin(w, r, t.ns, ws) // never relayed with the hub's cookie
		return a, false
	}
	return admitted{t: t, u: u, id: id, ws: ws}, true
}

// separateOrigins reports whether workspaces have origins of their own.
func (p *Proxy) separateOrigins() bool {
	return p.origins != nil && !p.origins.SameOrigin()
}

// authenticate returns the caller, or answers the request itself: browsers
// go to the login page (or, on a workspace origin, through the sign-in
// handshake), API and websocket clients get 401.
func (p *Proxy) authenticate(w http.ResponseWriter, r *http.Request, pl place, ws bool) (auth.Identity, bool) {
	var id auth.Identity
	var err error
	if pl.at == auth.PlaceWorkspace {
		id, err = p.opts.Auth.AuthenticateWorkspace(r, pl.host)
	} else {
		id, err = p.opts.Auth.Authenticate(r)
	}
	if err == nil {
		return id, true
	}
	if !errors.Is(err, auth.ErrUnauthenticated) {
		p.log.WarnContext(r.Context(), "authentication unavailable", "err", err)
		p.writeError(w, r, http.StatusServiceUnavailable, "proxy.auth_unavailable")
		return id, false
	}
	if !ws && isNavigation(r) {
		p.redirect(w, r, p.signInURL(w, r, pl), http.StatusFound)
		return id, false
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	p.writeError(w, r, http.StatusUnauthorized, "proxy.unauthenticated")
	return id, false
}

// isNavigation tells a browser opening a page from an API or script call.
func isNavigation(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// signInURL is where an unauthenticated browser goes: the login page on
// the hub; from a workspace origin, the hub's authorize step, with a state
// that only this browser holds (a cookie of this origin), so that nobody
// can make a browser redeem a code minted for someone else.
func (p *Proxy) signInURL(w http.ResponseWriter, r *http.Request, pl place) string {
	if pl.at != auth.PlaceWorkspace {
		return p.loginURL(r)
	}
	state := p.opts.Cookies.SetState(w)
	q := url.Values{"next": {p.origins.Workspace(pl.ns) + r.URL.RequestURI()}, "state": {state}}
	return p.origins.Hub() + auth.AuthorizePath + "?" + q.Encode()
}

// notRunning answers a request for a server without a route: the hub's
// fallback (the "start it?" page) on the hub; from a workspace origin,
// browsers go to that page on the hub and other clients get 503 JSON.
func (p *Proxy) notRunning(w http.ResponseWriter, r *http.Request, pl place) {
	switch {
	case pl.at != auth.PlaceWorkspace:
		p.fallback.ServeHTTP(w, r)
	case isNavigation(r):
		p.redirect(w, r, p.origins.Hub()+r.URL.RequestURI(), http.StatusFound)
	default:
		p.metrics.request(http.StatusServiceUnavailable)
		notRunning(w, r)
	}
}

// toWorkspaceOrigin sends a cookie-authenticated request on the hub to the
// same path on the namespace's workspace origin. A websocket cannot follow
// a redirect: it is refused.
func (p *Proxy) toWorkspaceOrigin(w http.ResponseWriter, r *http.Request, ns string, ws bool) {
	if ws {
		p.writeError(w, r, http.StatusForbidden, "proxy.other_origin", "Origin", p.origins.Workspace(ns))
		return
	}
	code := http.StatusFound
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		code = http.StatusTemporaryRedirect
	}
	p.redirect(w, r, p.origins.Workspace(ns)+r.URL.RequestURI(), code)
}

func (p *Proxy) redirect(w http.ResponseWriter, r *http.Request, to string, code int) {
	p.metrics.request(code)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, code)
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

// notRunning is the fallback when none is configured.
func notRunning(w http.ResponseWriter, r *http.Request) {
	englishErrors{}.WriteError(w, r, http.StatusServiceUnavailable, "proxy.not_running", nil)
}
