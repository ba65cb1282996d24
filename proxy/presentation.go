package proxy

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
	"github.com/spawnhub/spawnhub/store"
)

// presentation is what a route's kind needs from the proxy beyond the
// relay (store.Route's presentation fields): headers set on every request
// to the server, and its redirects kept under the server's prefix. It is
// nil for routes that need neither, so that their requests only test a
// pointer.
type presentation struct {
	headers    http.Header // canonical names, one value each; read only
	rewrite    bool
	prefix     string // /notebook/<ns>/<server>, no trailing slash
	targetHost string // the server's host:port
}

// newPresentation returns the presentation of the route of server key
// ("ns/server"), or nil when it needs none.
func newPresentation(key string, r store.Route, target *url.URL) *presentation {
	if len(r.Headers) == 0 && !r.RewriteRedirects {
		return nil
	}
	pr := &presentation{rewrite: r.RewriteRedirects, prefix: Prefix + key, targetHost: target.Host}
	if len(r.Headers) > 0 {
		pr.headers = make(http.Header, len(r.Headers))
		for name, v := range r.Headers {
			pr.headers[http.CanonicalHeaderKey(name)] = []string{v}
		}
	}
	return pr
}

// setHeaders sets the route's headers on a request to the server, over
// anything the client sent under those names.
func (pr *presentation) setHeaders(h http.Header) {
	for name, v := range pr.headers {
		h[name] = v
	}
}

// sets tells whether the route sets field k (pr may be nil).
func (pr *presentation) sets(k string) bool {
	return pr != nil && pr.headers[k] != nil
}

// keepRedirectUnder moves a redirect of the server under its prefix when
// it points outside: an absolute path (RStudio's /auth-sign-in), or an
// absolute URL to the server's own address or to the host the client
// asked for (forwardedHost). Relative references and other sites are left.
func (pr *presentation) keepRedirectUnder(h http.Header, forwardedHost string) {
	loc := h["Location"]
	if !pr.rewrite || len(loc) != 1 {
		return
	}
	if moved, ok := pr.underPrefix(loc[0], forwardedHost); ok {
		h["Location"] = []string{moved}
	}
}

func (pr *presentation) underPrefix(loc, forwardedHost string) (string, bool) {
	u, err := url.Parse(loc)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	switch {
	case u.Scheme == "" && u.Host == "":
		if !strings.HasPrefix(u.Path, "/") {
			return "", false // relative: already under wherever the page is
		}
	case (u.Scheme == "http" || u.Scheme == "https") && (u.Host == pr.targetHost || u.Host == forwardedHost):
		// the server's own address, or the public one without the prefix
	default:
		return "", false
	}
	path := u.EscapedPath()
	if path == pr.prefix || strings.HasPrefix(path, pr.prefix+"/") {
		if u.Host != pr.targetHost {
			return "", false // already right
		}
	} else {
		path = pr.prefix + path
	}
	out := path
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out, true
}

// presentRequest applies the route's presentation to a request to the
// server (HTTP and websocket handshakes).
func (u *upstream) presentRequest(h http.Header) {
	if u.pres != nil {
		u.pres.setHeaders(h)
	}
}

// presentResponse applies the route's presentation to the server's answer
// to a request for forwardedHost (the host the client asked for).
func (u *upstream) presentResponse(res *http.Response, forwardedHost string) {
	if u.pres != nil && res.StatusCode >= 300 && res.StatusCode < 400 {
		u.pres.keepRedirectUnder(res.Header, forwardedHost)
	}
}

// timedTransports are the upstream transports of routes with their own
// response-header timeout (long polls), one per timeout, made on first use.
type timedTransports struct {
	mu sync.Mutex
	by map[time.Duration]http.RoundTripper
}

// transportFor returns the transport of route r: the shared one, unless r
// asks for a response-header timeout of its own and the proxy builds its
// transports (Options.Transport replaces them all).
func (p *Proxy) transportFor(r store.Route) http.RoundTripper {
	d := r.ResponseTimeout
	if d <= 0 || d == p.opts.ResponseHeaderTimeout || p.opts.Transport != nil {
		return p.transport
	}
	p.timed.mu.Lock()
	defer p.timed.mu.Unlock()
	if t, ok := p.timed.by[d]; ok {
		return t
	}
	o := p.opts
	o.ResponseHeaderTimeout = d
	var t http.RoundTripper
	if o.StdTransport {
		t = newStdTransport(o, newDial(o))
	} else {
		t = newTransport(o)
	}
	if p.timed.by == nil {
		p.timed.by = map[time.Duration]http.RoundTripper{}
	}
	p.timed.by[d] = t
	return t
}

// closeIdle closes the timed transports' connections idle since before
// (all of them when before is zero), as idleConnLoop does for the shared
// one.
func (tt *timedTransports) closeIdle(before time.Time) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for _, t := range tt.by {
		switch t := t.(type) {
		case *h1.Transport:
			if before.IsZero() {
				t.CloseIdleConnections()
			} else {
				t.CloseIdleBefore(before)
			}
		case *http.Transport:
			if before.IsZero() {
				t.CloseIdleConnections()
			}
		}
	}
}
