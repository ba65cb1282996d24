package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/spawnhub/spawnhub/proxy/headscan"
)

// Head is a final response head kept as the server sent it, for a caller
// that copies it through rather than parse it into an http.Header
// (Transport.RelayHead). Transport keeps a head raw only when it is plain:
// all of it in one read, "HTTP/1.1", a status of 200-599 but 204 and 304,
// CRLF line ends, token field names followed at once by a colon, values of
// visible ASCII, SP and HTAB, exactly one Content-Length of digits, and no
// Transfer-Encoding, Pragma (net/http adds a Cache-Control for it) or
// Connection with a "close" (net/http then drops the Connection field
// whole). Any other head is read by http.ReadResponse. So the raw bytes
// frame the message exactly as net/http would, and cannot hold a line
// break, a fold or a field net/http would read otherwise.
type Head struct {
	raw    []byte // the fields, each line with its CRLF, then the blank line; in buf
	buf    []byte // kept from response to response
	status int
	length int64

	res  http.Response
	body upBody
	left lengthReader
}

// Raw reports whether the last response RelayHead returned with h has its
// head in h: its Header is then nil (see Header) and its Status empty.
func (h *Head) Raw() bool { return h.raw != nil }

// Fields are the head's field lines as sent, each ending with CRLF,
// without the status line and the blank line. They stay valid until h is
// reset.
func (h *Head) Fields() []byte { return h.raw[:len(h.raw)-2] }

// Reset forgets the last response; call it once its body is closed.
func (h *Head) Reset() {
	h.raw, h.res, h.body, h.left = nil, http.Response{}, upBody{}, lengthReader{}
	if cap(h.buf) > 16<<10 {
		h.buf = nil // not kept after a rare long head
	}
}

// Header parses the fields as http.ReadResponse does, for a caller that
// needs them after all; it sets the response's Header.
func (h *Head) Header() (http.Header, error) {
	tp := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(h.raw), len(h.raw)))
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, err
	}
	h.res.Header = http.Header(mh)
	return h.res.Header, nil
}

// Field is one field line of a head: its name and value as sent (the
// value without the blanks around it), and the whole line with its CRLF.
type Field struct {
	Name, Value, Line []byte
}

// NextField splits the first field line off fields (Fields or what is
// left of it); ok is false when none is left.
func NextField(fields []byte) (f Field, rest []byte, ok bool) {
	eol := bytes.IndexByte(fields, '\n')
	if eol < 0 {
		return f, nil, false
	}
	f.Line, rest = fields[:eol+1], fields[eol+1:]
	colon := bytes.IndexByte(f.Line, ':')
	f.Name, f.Value = f.Line[:colon], trimBlanks(f.Line[colon+1:eol-1])
	return f, rest, true
}

func trimBlanks(b []byte) []byte {
	for len(b) > 0 && isBlank(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isBlank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// readPlain reads the response head at the start of br's buffer into h
// when it is plain, and returns its response (body not yet set); nil, with
// nothing consumed, when it is not.
func (h *Head) readPlain(br *bufio.Reader, req *http.Request) *http.Response {
	buf, _ := br.Peek(br.Buffered())
	n, scan := headscan.Scan(buf)
	if scan != headscan.Done {
		return nil
	}
	head := buf[:n]
	fieldsAt := bytes.IndexByte(head, '\n') + 1
	status, ok := statusLine(head[:fieldsAt])
	if !ok || !h.plainFields(head[fieldsAt:]) {
		return nil
	}
	h.buf = append(h.buf[:0], head[fieldsAt:]...) // the reader goes back to its pool with the body
	_, _ = br.Discard(n)
	h.raw, h.status = h.buf, status
	h.res = http.Response{ // Status is left empty: it would allocate
		StatusCode: status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		ContentLength: h.length, Request: req,
	}
	return &h.res
}

// statusLine parses "HTTP/1.1 ddd[ reason]\r\n" and reports whether the
// status is one whose body Content-Length frames.
func statusLine(line []byte) (int, bool) {
	const pre = "HTTP/1.1 "
	if len(line) < len(pre)+3+2 || string(line[:len(pre)]) != pre {
		return 0, false
	}
	d := line[len(pre) : len(pre)+3]
	if rest := line[len(pre)+3:]; rest[0] != ' ' && rest[0] != '\r' {
		return 0, false
	}
	status := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		status = status*10 + int(c-'0')
	}
	return status, status >= 200 && status < 600 && status != http.StatusNoContent && status != http.StatusNotModified
}

// plainFields checks the field lines of a scanned head (their bytes are
// plain, each ends with CRLF, the blank line last) and finds the length.
func (h *Head) plainFields(fields []byte) bool {
	h.length = -1
	for rest := fields; len(rest) > 2; {
		eol := bytes.IndexByte(rest, '\n')
		colon := bytes.IndexByte(rest[:eol], ':')
		if colon <= 0 || !token(string(rest[:colon])) {
			return false // also an obs-fold: a line starting with SP or HTAB
		}
		f := Field{Name: rest[:colon], Value: trimBlanks(rest[colon+1 : eol-1]), Line: rest[:eol+1]}
		if !h.plainField(f) {
			return false
		}
		rest = rest[eol+1:]
	}
	return h.length >= 0
}

// plainField checks one field of the framing net/http reads differently.
func (h *Head) plainField(f Field) bool {
	switch len(f.Name) {
	case len("Content-Length"):
		if strings.EqualFold(string(f.Name), "Content-Length") {
			if h.length >= 0 {
				return false // net/http takes equal copies, refuses others
			}
			h.length = digits(f.Value)
			return h.length >= 0
		}
	case len("Transfer-Encoding"):
		return !strings.EqualFold(string(f.Name), "Transfer-Encoding")
	case len("Pragma"):
		return !strings.EqualFold(string(f.Name), "Pragma")
	case len("Connection"):
		if strings.EqualFold(string(f.Name), "Connection") {
			return !hasToken(f.Value, "close")
		}
	}
	return true
}

// digits is the value of 1 to 18 decimal digits, else -1.
func digits(b []byte) int64 {
	if len(b) == 0 || len(b) > 18 {
		return -1
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// hasToken tells whether the comma-separated list v holds tok, without
// regard to case.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var elem []byte
		elem, v, _ = bytes.Cut(v, []byte(","))
		if strings.EqualFold(string(trimBlanks(elem)), tok) {
			return true
		}
	}
	return false
}

// lengthReader reads the n bytes of a body from r: io.ErrUnexpectedEOF
// when r ends before, as net/http's body does.
type lengthReader struct {
	r io.Reader
	n int64
}

func (l *lengthReader) Close() error { return nil } // upBody never calls it

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	switch {
	case l.n == 0:
		return n, io.EOF
	case err == io.EOF:
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
