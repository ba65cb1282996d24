package proxy

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
)

// wsWriteBufferSize is the size of the pooled buffers the upgrader writes
// with; a connection holds one only while writing.
const wsWriteBufferSize = 16 << 10

// newUpgrader answers clients' handshakes. The relay then reads the
// connection itself: bytes a client sent before the answer stay in front of
// it (gorilla wraps the connection when its read buffer is not the
// server's).
func (p *Proxy) newUpgrader() websocket.Upgrader {
	return websocket.Upgrader{
		HandshakeTimeout: p.opts.WriteTimeout,
		ReadBufferSize:   256, // not the server's: see above; unused after the handshake
		WriteBufferSize:  wsWriteBufferSize,
		WriteBufferPool:  &p.wsWriteBuffers,
		CheckOrigin:      func(*http.Request) bool { return true }, // checked in ServeHTTP
		Error: func(w http.ResponseWriter, r *http.Request, status int, _ error) {
			p.writeError(w, r, status, "proxy.bad_handshake")
		},
	}
}

// isUpgrade reports whether r asks to switch protocols: a websocket, or
// any other protocol a workspace may speak.
func isUpgrade(r *http.Request) bool { return len(r.Header["Upgrade"]) > 0 }

// upgradeAllowed answers 403 to a protocol upgrade from a foreign origin:
// a websocket or any other upgrade must come from the origin it is
// addressed to. Clients that send no Origin are not browsers and cannot be
// driven by another site.
func (p *Proxy) upgradeAllowed(w http.ResponseWriter, r *http.Request, pl place) bool {
	if p.originAllowed(r, p.expectedOrigin(r, pl)) {
		return true
	}
	p.writeError(w, r, http.StatusForbidden, "proxy.foreign_origin")
	return false
}

// expectedOrigin is the origin a request to pl must come from: the
// workspace origin itself, the hub's, or without either the request's own.
func (p *Proxy) expectedOrigin(r *http.Request, pl place) string {
	switch {
	case pl.at == auth.PlaceWorkspace:
		return originOf(p.origins.Scheme(), pl.host)
	case p.origins != nil:
		return p.origins.Hub()
	case p.origin != "":
		return p.origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return originOf(scheme, r.Host)
}

func (p *Proxy) originAllowed(r *http.Request, want string) bool {
	o := r.Header["Origin"]
	switch len(o) {
	case 0:
		return true
	case 1:
	default:
		return false
	}
	got, err := url.Parse(o[0])
	if err != nil || got.Path != "" || got.RawQuery != "" || got.User != nil {
		return false
	}
	return originOf(got.Scheme, got.Host) == want
}

// originOf is scheme://host in lower case without the scheme's default port.
func originOf(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	}
	if scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}

// serveWebsocket dials the server first, with the client's subprotocols,
// then upgrades the client with the server's choice, and relays frames as
// bytes (see wsConn).
func (p *Proxy) serveWebsocket(w http.ResponseWriter, r *http.Request, t target, u *upstream, id auth.Identity) {
	if p.conns.isClosing() {
		p.writeError(w, r, http.StatusServiceUnavailable, "proxy.shutting_down")
		return
	}
	wsURL := p.websocketURL(r, u)
	backend, res, err := p.dialBackend(r.Context(), wsURL, p.backendHeader(r, u))
	if err != nil {
		p.backendRefused(w, r, u, res, err)
		return
	}
	var answer http.Header
	if sp := backend.subprotocol; sp != "" {
		answer = http.Header{"Sec-Websocket-Protocol": {sp}}
	}
	client, err := p.upgrader.Upgrade(w, r, answer)
	if err != nil {
		_ = backend.conn.Close() // the upgrader has answered the client
		return
	}
	p.metrics.request(http.StatusSwitchingProtocols)
	watch := newWatch(u.route.Kind, t.rest)
	var kernel *kernelName
	if watch.mode == watchKernel {
		kernel = p.lookupKernel(wsURL, u)
	}
	p.startRelay(client.NetConn(), backend, t, id, watch, kernel)
}

// backendRefused answers the client when the server's websocket could not
// be opened: its own error status if it answered, else as for HTTP.
func (p *Proxy) backendRefused(w http.ResponseWriter, r *http.Request, u *upstream, res *http.Response, err error) {
	if res == nil {
		p.upstreamError(w, r, u, err)
		return
	}
	status := res.StatusCode
	if status < 400 {
		status = http.StatusBadGateway
	}
	p.log.InfoContext(r.Context(), "websocket refused upstream", "server", u.key, "status", res.StatusCode)
	p.writeError(w, r, status, "proxy.ws_refused")
}

// websocketURL is the server's ws:// URL for the request: the same path and
// query as for HTTP.
func (p *Proxy) websocketURL(r *http.Request, u *upstream) string {
	out := *r.URL
	out.User = nil
	out.Fragment, out.RawFragment = "", ""
	if u.route.StripPrefix {
		stripPrefix(&out, len(Prefix)+len(u.key))
	}
	out.Scheme = "ws"
	if u.target.Scheme == "https" {
		out.Scheme = "wss"
	}
	out.Host = u.target.Host
	if base := strings.TrimSuffix(u.target.Path, "/"); base != "" {
		if out.RawPath != "" {
			out.RawPath = strings.TrimSuffix(u.target.EscapedPath(), "/") + out.RawPath
		}
		out.Path = base + out.Path
	}
	return out.String()
}

// wsSkipHeaders are the client's headers not passed to the server: the
// handshake's own (the dialer makes them), hop-by-hop ones, and forwarding
// headers the proxy sets itself.
var wsSkipHeaders = map[string]bool{
	"Connection": true, "Upgrade": true, "Keep-Alive": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Proxy-Connection": true, "Proxy-Authorization": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
	"Sec-Websocket-Accept": true, "Host": true, "Content-Length": true,
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
}

// backendHeader is what the server's websocket handshake carries: the
// client's headers (with Sec-WebSocket-Protocol) without spawnhub's
// credentials, the server's token, X-Forwarded-*, and the server's own
// Origin (the proxy has checked the client's).
func (p *Proxy) backendHeader(r *http.Request, u *upstream) http.Header {
	h := make(http.Header, len(r.Header)+3)
	for k, v := range r.Header {
		if !wsSkipHeaders[k] {
			h[k] = v
		}
	}
	dropClientForwarding(h)
	p.replaceCredentials(h, u)
	if _, ok := h["Origin"]; ok {
		h["Origin"] = []string{u.origin}
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h["X-Forwarded-For"] = []string{ip}
		h["X-Real-Ip"] = []string{ip}
	}
	h["X-Forwarded-Host"] = []string{r.Host}
	h["X-Forwarded-Proto"] = []string{p.forwardedProtoOf(r)}
	u.presentRequest(h)
	return h
}
