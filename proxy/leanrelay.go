package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
	"sync"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
)

// The lean relay: a bodiless plain-HTTP request (the bulk of a workspace's
// traffic) goes to its server over the lean client without
// httputil.ReverseProxy, which clones the request and its header, copies
// every response header value by value and puts a trace in the request's
// context. It does what ReverseProxy does for such a request, in the same
// order and with the same rewrite and response rules (rewrite,
// modifyResponse), from pooled parts: the server's header fields are
// written straight from the client's (leanfields.go).

// leanExchange is one relayed request's outgoing side, pooled.
type leanExchange struct {
	req    http.Request // the server's; its Header is the client's, read only
	url    url.URL
	pr     httputil.ProxyRequest
	in     *http.Request // the client's
	u      *upstream
	proto  string  // X-Forwarded-Proto
	head   h1.Head // the server's, when kept raw (rawhead.go)
	fields []byte  // a raw head's fields less those dropped; a scratch buffer
	w      http.ResponseWriter
	got1xx func(int, textproto.MIMEHeader) error // ex.informational, bound once
}

var leanExchanges = sync.Pool{New: func() any {
	ex := &leanExchange{}
	ex.got1xx = ex.informational
	return ex
}}

// relayLean relays r over the lean client and reports true, or reports
// false without touching w when r is not for it (a body, an upgrade, a
// replaced transport, a route with a transport of its own (a long-poll
// timeout), an https server): ReverseProxy relays it.
func (p *Proxy) relayLean(w http.ResponseWriter, r *http.Request, u *upstream) bool {
	if !p.leanRelays(r, u) {
		return false
	}
	ex := leanExchanges.Get().(*leanExchange)
	ex.prepare(p, r, u)
	if !p.lean.Handles(&ex.req) {
		ex.release()
		return false
	}
	defer ex.release() // after the body: the response refers to the request
	ex.w = w
	rw, raw := w.(rawHeadWriter)
	var head *h1.Head
	if raw {
		head = &ex.head
	}
	res, err := p.lean.RelayFields(&ex.req, ex, ex.got1xx, head)
	if err == nil && ex.head.Raw() {
		if p.relayRawHead(w, rw, r, u, res, &ex.head, &ex.fields) {
			return true
		}
		if _, err = ex.head.Header(); err != nil {
			_ = res.Body.Close()
		}
	}
	if err == nil && res.StatusCode == http.StatusSwitchingProtocols {
		_ = res.Body.Close()
		err = errors.New("backend tried to switch protocol without an upgrade requested")
	}
	if err != nil {
		p.upstreamError(w, r, u, err)
		return true
	}
	p.modifyResponse(res)
	u.presentResponse(res, ex.forwardedHost())
	p.writeResponse(w, r, res)
	return true
}

// leanRelays tells whether relayLean takes r for u.
func (p *Proxy) leanRelays(r *http.Request, u *upstream) bool {
	return p.lean != nil && u.rp.Transport == p.transport && u.target.Scheme == "http" && r.ContentLength == 0 &&
		(r.Body == nil || r.Body == http.NoBody) && !isUpgrade(r) && r.Header["Upgrade"] == nil
}

// prepare makes ex.req the server's request for r, as ReverseProxy's
// Rewrite mode does: r's fields with a copy of its URL, rewritten; its
// header fields are written by WriteFields.
func (ex *leanExchange) prepare(p *Proxy, r *http.Request, u *upstream) {
	ex.url = *r.URL
	ex.url.RawQuery = cleanQuery(ex.url.RawQuery)
	ex.req = *r
	ex.req.URL, ex.req.Body, ex.req.Close, ex.req.RequestURI = &ex.url, nil, false, ""
	ex.req.Trailer, ex.req.TransferEncoding = nil, nil
	ex.req.Form, ex.req.PostForm, ex.req.MultipartForm = nil, nil, nil
	ex.pr = httputil.ProxyRequest{In: r, Out: &ex.req}
	u.rewriteURL(&ex.pr)
	ex.in, ex.u, ex.proto = r, u, p.forwardedProtoOf(r)
}

// cleanQuery drops from a query what ReverseProxy would not pass on: with
// a semicolon or a bad escape, it is re-encoded from what parses.
func cleanQuery(q string) string {
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case ';':
			return reencodeQuery(q)
		case '%':
			if i+2 >= len(q) || !isHex(q[i+1]) || !isHex(q[i+2]) {
				return reencodeQuery(q)
			}
			i += 2
		}
	}
	return q
}

func reencodeQuery(q string) string {
	v, _ := url.ParseQuery(q)
	return v.Encode()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// informational forwards a 1xx response to the client as ReverseProxy
// does: its header, then nothing of it left in the header to come.
func (ex *leanExchange) informational(code int, header textproto.MIMEHeader) error {
	h := ex.w.Header()
	copyHeader(h, http.Header(header))
	ex.w.WriteHeader(code)
	clear(h)
	return nil
}

func (ex *leanExchange) release() {
	ex.head.Reset()
	ex.req, ex.url, ex.pr, ex.w = http.Request{}, url.URL{}, httputil.ProxyRequest{}, nil
	ex.in, ex.u = nil, nil
	leanExchanges.Put(ex)
}

// writeResponse sends res to the client as ReverseProxy does: its header
// without hop-by-hop fields and with announced trailers, its body (flushed
// after every write when it streams), then its trailers. A body that
// breaks off aborts the client's response.
func (p *Proxy) writeResponse(w http.ResponseWriter, r *http.Request, res *http.Response) {
	defer res.Body.Close()
	removeHopByHop(res.Header)
	copyHeader(w.Header(), res.Header)
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		w.Header().Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(res.StatusCode)
	if !p.relayBody(w, r, res) || len(res.Trailer) == 0 {
		return
	}
	_ = http.NewResponseController(w).Flush()
	if len(res.Trailer) == announced {
		copyHeader(w.Header(), res.Trailer)
		return
	}
	for k, vv := range res.Trailer {
		for _, v := range vv {
			w.Header().Add(http.TrailerPrefix+k, v)
		}
	}
}

// relayBody copies res's body to w and reports true; a body that breaks
// off aborts the client's response (false when it cannot be aborted).
func (p *Proxy) relayBody(w http.ResponseWriter, r *http.Request, res *http.Response) bool {
	err := p.copyBody(w, res)
	if err != nil && r.Context().Value(http.ServerContextKey) != nil {
		panic(http.ErrAbortHandler)
	}
	return err == nil
}

// copyBody copies res's body to w through a pooled buffer, flushing after
// each write when the body streams (server-sent events, no length).
func (p *Proxy) copyBody(w http.ResponseWriter, res *http.Response) error {
	stream := res.ContentLength == -1 || isEventStream(res.Header["Content-Type"])
	var rc *http.ResponseController
	if stream {
		rc = http.NewResponseController(w)
	}
	buf := p.buffers.Get()
	defer p.buffers.Put(buf)
	for {
		n, rerr := res.Body.Read(buf)
		if rerr != nil && rerr != io.EOF && !errors.Is(rerr, context.Canceled) {
			p.log.Warn("reading a response body", "err", rerr)
		}
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if stream {
				_ = rc.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("response body: %w", rerr)
		}
	}
}

func isEventStream(ct []string) bool {
	if len(ct) == 0 {
		return false
	}
	mt, _, _ := strings.Cut(ct[0], ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// copyHeader adds src's values to dst, sharing src's value slices for the
// fields dst does not have yet (src is not used afterwards).
func copyHeader(dst, src http.Header) {
	for k, vv := range src {
		if have, ok := dst[k]; ok {
			dst[k] = append(have[:len(have):len(have)], vv...)
			continue
		}
		dst[k] = vv
	}
}

// hopHeaders are the hop-by-hop fields no proxy passes on (RFC 9110, 7.6.1).
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHopByHop removes the hop-by-hop fields from h, and those that its
// Connection field names.
func removeHopByHop(h http.Header) {
	if conn := h["Connection"]; len(conn) > 0 {
		removeConnectionTokens(h, conn)
	}
	for k := range h {
		if hopSet[k] {
			delete(h, k)
		}
	}
}

// removeConnectionTokens removes the fields a Connection field names.
func removeConnectionTokens(h http.Header, conn []string) {
	for _, f := range conn {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				delete(h, textproto.CanonicalMIMEHeaderKey(sf))
			}
		}
	}
}

// hopSet holds hopHeaders; leanDropped, the fields of a client's request
// the lean relay does not copy: those and the forwarding fields the proxy
// sets itself (as ReverseProxy drops them).
var hopSet, leanDropped = func() (map[string]bool, map[string]bool) {
	hop, dropped := map[string]bool{}, map[string]bool{}
	for _, k := range hopHeaders {
		hop[k], dropped[k] = true, true
	}
	for _, k := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		dropped[k] = true
	}
	return hop, dropped
}()

func notForwarded(k string) bool { return leanDropped[k] }
