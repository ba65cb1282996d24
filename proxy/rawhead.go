package proxy

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
)

// The raw head path: when the client's ResponseWriter can send a head as
// bytes (the lean server's, cmd/spawnhub) and the lean client kept the
// server's head raw (h1.Head: plain bytes, framed by one Content-Length),
// the head's field lines go to the client as the server wrote them, less
// those the response rules drop (hop-by-hop fields and the ones Connection
// names, spawnhub's Set-Cookie, Clear-Site-Data, Service-Worker-Allowed),
// instead of being parsed into an http.Header and written again. A head
// the rules would rewrite (a redirect kept under the prefix), one whose
// body the writer would sniff or stream, or a Connection naming a field
// the writer reads goes the generic way, parsed.

// rawHeadWriter is a ResponseWriter that sends a server's response head
// as the server wrote it.
type rawHeadWriter interface {
	// WriteRawHead writes a response head: status code, the fields of its
	// Header, then fields (field lines of plain bytes and token names, each
	// ending with CRLF), for a body of contentLength bytes; hasDate says
	// fields hold a Date. It reports false, having written nothing, when it
	// cannot (its Header holds a field it does not merge, a head went out):
	// the caller then writes the response the usual way.
	WriteRawHead(code int, fields []byte, contentLength int64, hasDate bool) bool
}

// maxConnectionTokens bounds the fields a raw head's Connection may name;
// more go the generic way.
const maxConnectionTokens = 8

// rawHead is what relayRawHead learned of a head's fields.
type rawHead struct {
	named       [maxConnectionTokens][]byte // fields Connection names
	nNamed      int
	drops       bool // a field is to be dropped
	hasDate     bool
	contentType bool
	encoded     bool // Content-Encoding: no sniffing
	generic     bool // the head must go the generic way
}

// relayRawHead sends res, whose head h1 kept raw in head, to w (rw) and
// reports true; false, having written nothing, when res must go the
// generic way. scratch holds the fields kept when some are dropped.
func (p *Proxy) relayRawHead(w http.ResponseWriter, rw rawHeadWriter, r *http.Request, u *upstream, res *http.Response, head *h1.Head, scratch *[]byte) bool {
	var rh rawHead
	redirect := res.StatusCode >= 300 && res.StatusCode < 400 && u.pres != nil && u.pres.rewrite
	for f, rest, ok := h1.NextField(head.Fields()); ok && !rh.generic; f, rest, ok = h1.NextField(rest) {
		rh.look(f, redirect)
	}
	sniffs := !rh.contentType && !rh.encoded && res.ContentLength > 0 && r.Method != http.MethodHead
	if rh.generic || sniffs {
		return false
	}
	fields := head.Fields()
	if rh.drops || rh.nNamed > 0 {
		fields = rh.kept(fields, (*scratch)[:0])
		*scratch = fields
	}
	if !rw.WriteRawHead(res.StatusCode, fields, res.ContentLength, rh.hasDate) {
		return false
	}
	defer res.Body.Close()
	p.metrics.request(res.StatusCode)
	p.relayBody(w, r, res)
	return true
}

// look notes what field f means for the raw path.
func (rh *rawHead) look(f h1.Field, redirect bool) {
	switch name := f.Name; {
	case dropped(name):
		rh.drops = true
	case equalFold(name, "Connection"):
		rh.drops = true
		rh.connection(f.Value)
	case equalFold(name, "Set-Cookie"):
		rh.drops = rh.drops || setsOurCookie(f.Value)
	case equalFold(name, "Date"):
		rh.hasDate = true
	case equalFold(name, "Content-Type"):
		rh.contentType = true
		mt, _, _ := bytes.Cut(f.Value, []byte(";"))
		rh.generic = rh.generic || equalFold(bytes.TrimSpace(mt), "text/event-stream") // streamed
	case equalFold(name, "Content-Encoding"):
		rh.encoded = true
	case equalFold(name, "Location"):
		rh.generic = rh.generic || redirect
	}
}

// connection notes the fields a Connection value names. Naming one the
// writer reads (the length, the type, the date) sends the head the
// generic way, as do too many names.
func (rh *rawHead) connection(v []byte) {
	for len(v) > 0 {
		var tok []byte
		tok, v, _ = bytes.Cut(v, []byte(","))
		if tok = bytes.Trim(tok, " \t"); len(tok) == 0 {
			continue
		}
		for _, k := range [...]string{"Content-Length", "Content-Type", "Content-Encoding", "Date"} {
			rh.generic = rh.generic || equalFold(tok, k)
		}
		if rh.nNamed == maxConnectionTokens {
			rh.generic = true
			return
		}
		rh.named[rh.nNamed] = tok
		rh.nNamed++
	}
}

// kept appends to dst the lines of fields the response rules keep.
func (rh *rawHead) kept(fields, dst []byte) []byte {
	for f, rest, ok := h1.NextField(fields); ok; f, rest, ok = h1.NextField(rest) {
		if !rh.drop(f) {
			dst = append(dst, f.Line...)
		}
	}
	return dst
}

func (rh *rawHead) drop(f h1.Field) bool {
	if dropped(f.Name) || equalFold(f.Name, "Connection") ||
		equalFold(f.Name, "Set-Cookie") && setsOurCookie(f.Value) {
		return true
	}
	for _, tok := range rh.named[:rh.nNamed] {
		if bytes.EqualFold(f.Name, tok) {
			return true
		}
	}
	return false
}

// dropped are the fields no response to a client carries: hop-by-hop
// (removeHopByHop; Connection is looked at apart) and those
// modifyResponse removes.
func dropped(name []byte) bool {
	switch len(name) {
	case 2:
		return equalFold(name, "Te")
	case 7:
		return equalFold(name, "Trailer") || equalFold(name, "Upgrade")
	case 10:
		return equalFold(name, "Keep-Alive")
	case 15:
		return equalFold(name, "Clear-Site-Data")
	case 16:
		return equalFold(name, "Proxy-Connection")
	case 17:
		return equalFold(name, "Transfer-Encoding")
	case 18:
		return equalFold(name, "Proxy-Authenticate")
	case 19:
		return equalFold(name, "Proxy-Authorization")
	case 22:
		return equalFold(name, "Service-Worker-Allowed")
	}
	return false
}

// setsOurCookie tells a Set-Cookie value that stripSetCookies removes.
func setsOurCookie(v []byte) bool {
	pair, _, _ := bytes.Cut(v, []byte(";"))
	name, _, _ := bytes.Cut(pair, []byte("="))
	return isOurs(strings.TrimSpace(string(name)))
}
