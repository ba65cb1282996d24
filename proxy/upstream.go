package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"

	"github.com/spawnhub/spawnhub/store"
)

// upstream is a running server as the proxy relays to it: its route, parsed
// once, and a ReverseProxy bound to it (so that nothing per request needs to
// carry the route).
type upstream struct {
	key    string // "ns/server"
	route  store.Route
	target *url.URL
	authz  []string     // the Authorization header to send, or nil
	origin string       // the server's own origin, sent as Origin on websockets
	ignore []ignoreRule // requests that are polling, not activity
	rp     *httputil.ReverseProxy
	pres   *presentation // the kind's needs (presentation.go); nil: none
}

// route returns the upstream of t from the cache or, on a miss, the store.
func (p *Proxy) route(ctx context.Context, t target) (*upstream, error) {
	if u := p.cache.get(t.key); u != nil {
		return u, nil
	}
	gen := p.cache.generation()
	r, err := p.opts.Routes.GetRoute(ctx, store.Key{Namespace: t.ns, Name: t.server})
	if err != nil {
		return nil, err
	}
	u, err := p.newUpstream(t.key, r)
	if err != nil {
		return nil, err
	}
	p.cache.put(t.key, gen, u)
	return u, nil
}

func (p *Proxy) newUpstream(key string, r store.Route) (*upstream, error) {
	target, err := url.Parse(r.Target)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("route %s: bad target %q", key, r.Target)
	}
	u := &upstream{key: key, route: r, target: target, origin: target.Scheme + "://" + target.Host,
		pres: newPresentation(key, r, target), ignore: compileIgnore(r.ActivityIgnore)}
	if r.Token != "" {
		u.authz = []string{"token " + r.Token}
	}
	u.rp = &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { p.rewrite(pr, u) },
		Transport: p.transportFor(r),
		// 0: a response with a length goes out in one write; streams
		// (server-sent events, unknown lengths) are flushed at once anyway.
		FlushInterval: 0,
		BufferPool:    p.buffers,
		ErrorLog:      slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		ErrorHandler:  func(w http.ResponseWriter, r *http.Request, err error) { p.upstreamError(w, r, u, err) },
		ModifyResponse: func(res *http.Response) error {
			p.modifyResponse(res)
			if res.Request != nil {
				u.presentResponse(res, res.Request.Header.Get("X-Forwarded-Host"))
			}
			return nil
		},
	}
	return u, nil
}

// rewrite turns the client's request into the server's: same path (the
// server runs under the same base URL) unless the route strips the prefix,
// the server's host, X-Forwarded-*, and the server's token instead of the
// client's credentials.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest, u *upstream) {
	u.rewriteURL(pr)
	p.setXForwarded(pr)
	p.replaceCredentials(pr.Out.Header, u)
	u.presentRequest(pr.Out.Header)
}

// rewriteURL points the server's request at the server, without the
// prefix when the route strips it; it then goes with the server's Host.
func (u *upstream) rewriteURL(pr *httputil.ProxyRequest) {
	if u.route.StripPrefix {
		stripPrefix(pr.Out.URL, len(Prefix)+len(u.key))
	}
	pr.SetURL(u.target)
}

// setXForwarded sets X-Forwarded-For, -Host and -Proto as
// ProxyRequest.SetXForwarded does (ReverseProxy has removed the client's),
// with the proto from PublicURL when set, and X-Real-IP, in one allocation;
// every other forwarding header the client sent is dropped.
func (p *Proxy) setXForwarded(pr *httputil.ProxyRequest) {
	h := pr.Out.Header
	dropClientForwarding(h)
	v := make([]string, 3)
	v[0] = pr.In.Host
	h["X-Forwarded-Host"] = v[0:1:1]
	if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
		v[1] = ip
		h["X-Forwarded-For"] = v[1:2:2]
		h["X-Real-Ip"] = v[1:2:2]
	}
	v[2] = p.forwardedProtoOf(pr.In)
	h["X-Forwarded-Proto"] = v[2:3:3]
}

// forwardedProtoOf is the X-Forwarded-Proto of r: PublicURL's scheme when
// set, else r's.
func (p *Proxy) forwardedProtoOf(r *http.Request) string {
	switch {
	case p.forwardedProto != "":
		return p.forwardedProto
	case r.TLS != nil:
		return "https"
	}
	return "http"
}

// replaceCredentials removes spawnhub's cookies and the client's
// Authorization, and adds the server's token.
func (p *Proxy) replaceCredentials(h http.Header, u *upstream) {
	if c := h["Cookie"]; len(c) > 0 {
		if c = stripCookies(c); len(c) == 0 {
			delete(h, "Cookie")
		} else {
			h["Cookie"] = c
		}
	}
	delete(h, "Authorization")
	if u.authz != nil {
		h["Authorization"] = u.authz
	}
}

// stripPrefix removes the first n bytes (/notebook/<ns>/<server>) of the
// path, leaving at least "/". The prefix has no escapes, so it is as long in
// Path as in RawPath.
func stripPrefix(u *url.URL, n int) {
	u.Path = cut(u.Path, n)
	if u.RawPath != "" {
		u.RawPath = cut(u.RawPath, n)
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return "/"
	}
	return s[n:]
}

// modifyResponse keeps a workspace's response from touching the hub or the
// user's sessions: no spawnhub cookie set, no site data cleared, no service
// worker scope widened.
func (p *Proxy) modifyResponse(res *http.Response) {
	stripSetCookies(res.Header)
	delete(res.Header, "Clear-Site-Data")
	delete(res.Header, "Service-Worker-Allowed")
	p.metrics.request(res.StatusCode)
}

// upstreamError maps a failed round trip to a status: the client gone is
// 499 (logged only), a timeout 504, anything else 502.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, u *upstream, err error) {
	log := p.log.With("server", u.key, "err", err)
	switch {
	case errors.Is(err, context.Canceled) || r.Context().Err() != nil:
		p.metrics.upstreamError("canceled")
		p.metrics.request(499)
		log.DebugContext(r.Context(), "client gone")
		w.WriteHeader(499)
	case isTimeout(err):
		p.metrics.upstreamError("timeout")
		log.WarnContext(r.Context(), "upstream timeout")
		p.writeError(w, r, http.StatusGatewayTimeout, "proxy.timeout")
	default:
		p.metrics.upstreamError("unreachable")
		log.WarnContext(r.Context(), "upstream unreachable")
		if isDialError(err) {
			p.cache.dropIf(u.key, u) // the route may have changed
		}
		p.writeError(w, r, http.StatusBadGateway, "proxy.unreachable")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// copyBufferSize is the size of the buffers ReverseProxy copies bodies with.
const copyBufferSize = 32 << 10

// bufferPool is an httputil.BufferPool. It pools array pointers so that
// neither Get nor Put allocates.
type bufferPool struct{ pool sync.Pool }

func newBufferPool() *bufferPool { return &bufferPool{} }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.pool.Get().(*[copyBufferSize]byte); ok {
		return buf[:]
	}
	return new([copyBufferSize]byte)[:]
}

func (b *bufferPool) Put(buf []byte) {
	if len(buf) == copyBufferSize {
		b.pool.Put((*[copyBufferSize]byte)(buf))
	}
}
