package proxy

import (
	"net/http"
	"time"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/proxy/internal/h1"
)

// ServeFast serves r when it is the common case of a workspace origin's
// traffic: a request for one of the origin's workspaces, by a caller whose
// credential holds and who may use the namespace, for a running server,
// relayed over the lean client. It does what FrontDoor would do for such a
// request, in the same order. It reports false, having written nothing to
// w, when r is anything else (another origin, the sign-in callback, a
// refusal, a redirect, an upgrade, a body): the caller then hands r to
// FrontDoor, which answers it as always. A lean server loop (cmd/spawnhub)
// calls it for bodiless GET and HEAD requests; the checks FrontDoor's
// cross-origin protections make pass for those methods.
func (p *Proxy) ServeFast(w http.ResponseWriter, r *http.Request) bool {
	if p.origins == nil || p.lean == nil || isUpgrade(r) {
		return false
	}
	at, ns := p.origins.Classify(r.Host)
	if at != auth.PlaceWorkspace || r.URL.Path == auth.CallbackPath {
		return false
	}
	pl := place{at: at, ns: ns, host: auth.NormalizeHost(p.origins.Scheme(), r.Host)}
	a, ok := p.admitQuietly(r, pl)
	if !ok || !p.leanRelays(r, a.u) {
		return false
	}
	if !ignoredRequest(a.u.ignore, r.Method, a.t.rest) {
		p.activity.mark(a.t.key, time.Now())
	}
	if p.opts.RenewSession != nil {
		p.opts.RenewSession(w, a.id) // a header only: nothing is written yet
	}
	return p.relayLean(w, r, a.u)
}

// admitQuietly makes admit's checks without answering: it reports false
// wherever admit would answer the request itself.
func (p *Proxy) admitQuietly(r *http.Request, pl place) (a admitted, ok bool) {
	t, err := parsePath(h1.EscapedPath(r.URL))
	if err != nil || (pl.ns != "" && t.ns != pl.ns) {
		return a, false
	}
	id, err := p.opts.Auth.AuthenticateWorkspace(r, pl.host)
	if err != nil || !p.opts.Access.CanConnect(r.Context(), id, t.ns) {
		return a, false
	}
	u, err := p.route(r.Context(), t)
	if err != nil {
		return a, false
	}
	return admitted{t: t, u: u, id: id}, true
}
