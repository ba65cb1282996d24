package proxy

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/auth"
)

// Handshake redeems the one-time codes that sign a browser in to a
// workspace origin (auth.Handshake).
type Handshake interface {
	Redeem(ctx context.Context, code, host string) (token string, expires time.Time, err error)
}

// FrontDoor routes every request by its Host (DESIGN "Origins"): the hub's
// pages and API go to hub, workspace traffic on the hub or on a workspace
// origin to the proxy, and a host spawnhub does not serve (DNS rebinding, a
// misdirected request) gets 421, but for the AnyHost paths. It needs
// Options.Origins.
func (p *Proxy) FrontDoor(hub http.Handler) http.Handler {
	strict := http.NewCrossOriginProtection() // no trusted origins: Origin must be the Host
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, ns := p.origins.Classify(r.Host)
		switch {
		case at == auth.PlaceHub && strings.HasPrefix(r.URL.Path, Prefix):
			p.serve(w, r, place{at: auth.PlaceHub})
		case at == auth.PlaceHub:
			hub.ServeHTTP(w, r)
		case at == auth.PlaceUnknown && slices.Contains(p.opts.AnyHost, r.URL.Path):
			hub.ServeHTTP(w, r)
		case at == auth.PlaceWorkspace:
			if err := strict.Check(r); err != nil {
				p.writeError(w, r, http.StatusForbidden, "proxy.cross_origin")
				return
			}
			p.serveWorkspaceOrigin(w, r, place{at: at, ns: ns, host: auth.NormalizeHost(p.origins.Scheme(), r.Host)})
		default:
			p.writeError(w, r, http.StatusMisdirectedRequest, "proxy.misdirected")
		}
	})
}

// serveWorkspaceOrigin serves a workspace origin: the sign-in callback and
// its namespace's workspaces; nothing else lives there.
func (p *Proxy) serveWorkspaceOrigin(w http.ResponseWriter, r *http.Request, pl place) {
	if r.URL.Path == auth.CallbackPath {
		p.callback(w, r, pl)
		return
	}
	p.serve(w, r, pl)
}

// callback redeems a sign-in code: the origin gets its own session cookie
// and the browser goes on to the workspace it asked for.
func (p *Proxy) callback(w http.ResponseWriter, r *http.Request, pl place) {
	if r.Method != http.MethodGet {
		p.writeError(w, r, http.StatusMethodNotAllowed, "proxy.method")
		return
	}
	q := r.URL.Query()
	if !p.opts.Cookies.TakeState(w, r, q.Get("state")) {
		p.writeError(w, r, http.StatusBadRequest, "proxy.foreign_state")
		return
	}
	token, exp, err := p.opts.Handshake.Redeem(r.Context(), q.Get("code"), pl.host)
	if err != nil {
		p.log.InfoContext(r.Context(), "workspace sign-in refused", "host", pl.host, "err", err)
		p.writeError(w, r, http.StatusBadRequest, "proxy.bad_code")
		return
	}
	p.opts.Cookies.Set(w, pl.host, token, exp)
	p.redirect(w, r, p.localNext(q.Get("next"), pl), http.StatusFound)
}

// localNext keeps the callback's redirect on this origin and under its
// namespace's workspaces; anything else goes to the hub's landing page.
func (p *Proxy) localNext(next string, pl place) string {
	if strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return p.origins.Hub() + "/"
	}
	path, _, _ := strings.Cut(next, "?")
	if t, err := parsePath(path); (err != nil && !errors.Is(err, errNoSlashes)) || (pl.ns != "" && t.ns != pl.ns) {
		return p.origins.Hub() + "/"
	}
	return next
}
