package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"

	"github.com/spawnhub/spawnhub/proxy/headscan"
)

// WriteRequest writes the head of a bodiless request, as the Transport
// sends it: as (*http.Request).Write would, without its formatting and
// sorting allocations; anything unusual (a body, trailers, a Host or request URI
// needing care, Connection: close) goes to Request.Write itself. With
// fields, the header fields are fields' instead of req.Header's.
func WriteRequest(w *bufio.Writer, req *http.Request, fields FieldWriter) error {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	path := EscapedPath(req.URL)
	if !plainRequest(req, host, path) {
		if fields != nil {
			req = withFields(req, fields)
		}
		return req.Write(w)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	w.WriteString(method)
	w.WriteByte(' ')
	writeRequestURI(w, req, path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		w.WriteString("Content-Length: 0\r\n")
	}
	if fields != nil {
		fields.WriteFields(Fields{w: w})
	} else {
		writeHeader(w, req.Header)
	}
	_, err := w.WriteString("\r\n")
	return err
}

// writeHeader writes h's fields as Request.Write does.
func writeHeader(w *bufio.Writer, h http.Header) {
	if ua, ok := h["User-Agent"]; !ok {
		w.WriteString("User-Agent: Go-http-client/1.1\r\n")
	} else if len(ua) > 0 && ua[0] != "" {
		writeField(w, "User-Agent", ua[0])
	}
	for k, vv := range h {
		if excludedField(k) || !token(k) {
			continue
		}
		for _, v := range vv {
			writeField(w, k, v)
		}
	}
}

// plainRequest tells whether WriteRequest may write req itself.
func plainRequest(req *http.Request, host, path string) bool {
	return (req.Body == nil || req.Body == http.NoBody) && req.ContentLength == 0 &&
		!req.Close && req.Trailer == nil && len(req.TransferEncoding) == 0 &&
		req.URL.Opaque == "" && req.Method != http.MethodConnect && token(req.Method) &&
		plainHost(host) && !headscan.HasCTL(path) && !headscan.HasCTL(req.URL.RawQuery)
}

func writeRequestURI(w *bufio.Writer, req *http.Request, path string) {
	if path == "" {
		path = "/"
	}
	w.WriteString(path)
	if req.URL.ForceQuery || req.URL.RawQuery != "" {
		w.WriteByte('?')
		w.WriteString(req.URL.RawQuery)
	}
}

// writeField writes "k: v\r\n", with v's line breaks turned into spaces and
// surrounding blanks trimmed as Header.Write does.
func writeField(w *bufio.Writer, k, v string) {
	if strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, '\n') >= 0 {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	if v != "" && (isBlank(v[0]) || isBlank(v[len(v)-1])) {
		v = strings.Trim(v, " \t")
	}
	appendField(w, k, v)
}

// writeFieldBytes is writeField for a value in bytes.
func writeFieldBytes(w *bufio.Writer, k string, v []byte) {
	if bytes.IndexByte(v, '\r') >= 0 || bytes.IndexByte(v, '\n') >= 0 ||
		len(v) > 0 && (isBlank(v[0]) || isBlank(v[len(v)-1])) {
		writeField(w, k, string(v))
		return
	}
	appendField(w, k, v)
}

// appendField writes "k: v\r\n" in one Write, in place, rather than four.
func appendField[V string | []byte](w *bufio.Writer, k string, v V) {
	if n := len(k) + len(v) + 4; n > w.Available() && n <= w.Size() {
		w.Flush() // an error stays in w
	}
	b := append(w.AvailableBuffer(), k...)
	b = append(b, ": "...)
	b = append(b, v...)
	w.Write(append(b, "\r\n"...))
}

// excludedField are the fields Request.Write takes from the request's other
// fields rather than its Header.
func excludedField(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// plainHost is a non-empty host[:port] of ASCII letters, digits and
// . - _ : [ ] only (no zone, nothing to encode).
func plainHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// tokenChar tells the bytes of an RFC 9110 token.
var tokenChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

// token is a non-empty RFC 9110 token (a valid method or field name).
func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}
