package proxy

import (
	"net"
	"net/http"
	"strings"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
)

// WriteFields writes the server's header fields straight from the
// client's, as ReverseProxy's Rewrite mode with rewrite would leave them
// in a copy of the client's header: without the hop-by-hop fields, those
// Connection names and the forwarding fields a client may not send; Te
// only as "trailers"; spawnhub's cookies and the client's Authorization
// replaced by the server's; X-Forwarded-* and X-Real-IP the proxy's; the
// route's own headers over anything of the same name. Nothing is copied
// or allocated for the common request.
func (ex *leanExchange) WriteFields(f h1.Fields) {
	h, conn := ex.in.Header, connectionNames(ex.in.Header)
	for k, vv := range h {
		if copiedAsIs(k) && !conn.names(k) && !ex.u.pres.sets(k) {
			for _, v := range vv {
				f.Add(k, v)
			}
		}
	}
	if ua := h["User-Agent"]; len(ua) > 0 && ua[0] != "" && !conn.names("User-Agent") {
		ex.add(f, "User-Agent", ua[0])
	}
	if !conn.names("Cookie") {
		ex.addCookies(f, h["Cookie"])
	}
	if headerHasToken(h, "Te", "trailers") {
		ex.add(f, "Te", "trailers")
	}
	for _, v := range ex.u.authz {
		ex.add(f, "Authorization", v)
	}
	ex.addForwarding(f)
	if ex.u.pres != nil {
		for k, vv := range ex.u.pres.headers {
			f.Add(k, vv[0])
		}
	}
}

// copiedAsIs tells the client's fields passed on unchanged (unless
// Connection names them or the route sets them).
func copiedAsIs(k string) bool {
	switch k {
	case "User-Agent", "Cookie", "Authorization":
		return false
	}
	return !notForwarded(k) && !isClientForwarding(k)
}

// add adds k: v unless the route sets k.
func (ex *leanExchange) add(f h1.Fields, k, v string) {
	if !ex.u.pres.sets(k) {
		f.Add(k, v)
	}
}

// addCookies adds the client's Cookie lines without spawnhub's cookies,
// each line stripped into ex.fields (a scratch buffer here).
func (ex *leanExchange) addCookies(f h1.Fields, lines []string) {
	if len(lines) == 0 || ex.u.pres.sets("Cookie") {
		return
	}
	if !anyCookieOfOurs(lines) {
		for _, line := range lines {
			f.Add("Cookie", line)
		}
		return
	}
	for _, line := range lines {
		if ex.fields = appendKeptCookies(ex.fields[:0], line); len(ex.fields) > 0 {
			f.AddBytes("Cookie", ex.fields)
		}
	}
}

// addForwarding adds X-Forwarded-Host, -For, -Proto and X-Real-IP, as
// setXForwarded sets them.
func (ex *leanExchange) addForwarding(f h1.Fields) {
	ex.add(f, "X-Forwarded-Host", ex.in.Host)
	if ip, _, err := net.SplitHostPort(ex.in.RemoteAddr); err == nil {
		ex.add(f, "X-Forwarded-For", ip)
		ex.add(f, "X-Real-Ip", ip)
	}
	ex.add(f, "X-Forwarded-Proto", ex.proto)
}

// forwardedHost is the X-Forwarded-Host the server is sent: the route's
// when it sets one (a redirect is kept under the host it names).
func (ex *leanExchange) forwardedHost() string {
	if ex.u.pres.sets("X-Forwarded-Host") {
		return ex.u.pres.headers["X-Forwarded-Host"][0]
	}
	return ex.in.Host
}

// connectionOptions are the values of a request's Connection fields: the
// fields they name are hop-by-hop (RFC 9110, 7.6.1).
type connectionOptions []string

// connectionNames is h's Connection fields, or none when they name only
// keep-alive (as good as every request that has one).
func connectionNames(h http.Header) connectionOptions {
	conn := h["Connection"]
	if len(conn) == 1 && equalFold(conn[0], "keep-alive") {
		return nil
	}
	return conn
}

// names tells whether the options name field k, in any ASCII case (as
// removeConnectionTokens removes them).
func (c connectionOptions) names(k string) bool {
	for _, v := range c {
		for option := range strings.SplitSeq(v, ",") {
			if equalFold(strings.Trim(option, " \t"), k) {
				return true
			}
		}
	}
	return false
}
