package main

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/spawnhub/spawnhub/proxy/headscan"
)

// The lean server's request parser takes a strict subset of HTTP/1.1
// (RFC 9112) and nothing else: a GET or HEAD in origin form, version
// HTTP/1.1, CRLF line ends, field names of token characters followed at
// once by a colon, visible ASCII values, exactly one valid Host, no body
// and nothing that changes how the connection is framed or used
// (Content-Length, Transfer-Encoding, Expect, Upgrade, Trailer, a
// Connection other than keep-alive). Anything outside it, well formed or
// not, is no error here: the connection goes to net/http's server with the
// bytes read, which answers as it always does. So framing is only ever
// decided by one parser for one message, and a request cannot be read two
// ways (no smuggling).

// scanHead looks for the end of a head (CRLF CRLF) in b and returns the
// length of the head with it and headscan.Done; bytes outside the subset,
// a CR without LF or a LF without CR end the scan with headscan.Other.
func scanHead(b []byte) (int, headscan.Result) { return headscan.Scan(b) }

// leanHead is a parsed request head. Its strings share one copy of the
// head's bytes; header values share one backing array.
type leanHead struct {
	method, target, host string
	header               http.Header
	values               []string
	url                  url.URL // the target's, when parseTarget takes it
}

// parse fills h from raw, a whole head that scanHead accepted, and
// reports whether it is in the subset.
func (h *leanHead) parse(raw string) bool {
	line, rest, _ := strings.Cut(raw, "\r\n")
	if !h.requestLine(line) {
		return false
	}
	clear(h.header)
	h.values, h.host = h.values[:0], ""
	for {
		line, rest, _ = strings.Cut(rest, "\r\n")
		if line == "" {
			break
		}
		if !h.field(line) {
			return false
		}
	}
	if h.host == "" || !httpguts.ValidHostHeader(h.host) {
		return false
	}
	fixPragmaCacheControl(h.header)
	return true
}

func (h *leanHead) requestLine(line string) bool {
	method, rest, ok1 := strings.Cut(line, " ")
	target, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || version != "HTTP/1.1" || (method != http.MethodGet && method != http.MethodHead) {
		return false
	}
	if len(target) == 0 || target[0] != '/' || strings.IndexByte(target, '\t') >= 0 {
		return false
	}
	h.method, h.target = method, target
	return true
}

// field adds one header line to h.header, keyed as net/http keys it.
func (h *leanHead) field(line string) bool {
	colon := strings.IndexByte(line, ':')
	if colon <= 0 {
		return false // also a line starting with SP or HTAB (obs-fold)
	}
	name := line[:colon]
	for i := 0; i < len(name); i++ {
		if !httpguts.IsTokenRune(rune(name[i])) {
			return false
		}
	}
	value := textproto.TrimString(line[colon+1:])
	key := textproto.CanonicalMIMEHeaderKey(name)
	switch key {
	case "Host":
		if h.host != "" {
			return false
		}
		h.host = value
		return true // net/http keeps it as Request.Host only
	case "Content-Length", "Transfer-Encoding", "Expect", "Upgrade", "Trailer", "Http2-Settings":
		return false
	case "Connection":
		if !strings.EqualFold(value, "keep-alive") {
			return false
		}
	}
	h.values = append(h.values, value)
	if have, ok := h.header[key]; ok {
		h.header[key] = append(have, value)
		return true
	}
	h.header[key] = h.values[len(h.values)-1 : len(h.values) : len(h.values)]
	return true
}

// fixPragmaCacheControl is net/http's: "Pragma: no-cache" means
// "Cache-Control: no-cache" when the request has no Cache-Control.
func fixPragmaCacheControl(h http.Header) {
	if hp, ok := h["Pragma"]; ok && len(hp) > 0 && hp[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
}

// request fills r as net/http's server would for h, from base (the
// connection's context and address), or reports false when the target does
// not parse (net/http then answers 400).
func (h *leanHead) request(r, base *http.Request) bool {
	u := &h.url
	if !parseTarget(h.target, u) {
		var err error
		if u, err = url.ParseRequestURI(h.target); err != nil {
			return false
		}
	}
	*r = *base
	r.Method, r.URL, r.Proto, r.ProtoMajor, r.ProtoMinor = h.method, u, "HTTP/1.1", 1, 1
	r.Header, r.Body, r.Host, r.RequestURI = h.header, http.NoBody, h.host, h.target
	return true
}
