package h1

import (
	"bufio"
	"net/http"
)

// A FieldWriter writes the header fields of a request in place of its
// Header (Transport.RelayFields): a proxy writes the server's request
// straight from the client's, without building a Header to be written.
// It adds the User-Agent it wants sent, if any: none is added for it.
type FieldWriter interface {
	WriteFields(f Fields)
}

// Fields takes the fields a FieldWriter adds: onto the connection's
// buffer, or into a Header when the request goes to Request.Write.
type Fields struct {
	w *bufio.Writer
	h http.Header
}

// Add adds the field k: v, as writing a Header with it would: a name that
// is not a token is dropped, and so are the fields the request's own
// fields give (Host, Content-Length, Transfer-Encoding, Trailer) and an
// empty User-Agent; line breaks in v become spaces and surrounding blanks
// go. The writer adds one User-Agent at most.
func (f Fields) Add(k, v string) {
	switch {
	case k == "User-Agent" && v == "", !sendable(k):
	case f.h != nil:
		f.h[k] = append(f.h[k], v)
	default:
		writeField(f.w, k, v)
	}
}

// AddBytes is Add with the value in bytes (a scratch buffer).
func (f Fields) AddBytes(k string, v []byte) {
	if f.h != nil || len(v) == 0 || !sendable(k) {
		f.Add(k, string(v))
		return
	}
	writeFieldBytes(f.w, k, v)
}

// sendable is a field name Add writes (User-Agent, unless empty).
func sendable(k string) bool {
	return k == "User-Agent" || !excludedField(k) && token(k)
}

// withFields is req with fields' fields as its Header, for Request.Write.
func withFields(req *http.Request, fields FieldWriter) *http.Request {
	h := make(http.Header)
	fields.WriteFields(Fields{h: h})
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // none, rather than Go's
	}
	out := *req
	out.Header = h
	return &out
}
