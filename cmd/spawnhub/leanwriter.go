package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// leanWriter is the lean server's http.ResponseWriter, one per connection,
// reused from request to request. It writes what net/http's server writes
// for the same calls (its response and chunkWriter, whose rules it
// follows): the header as it stood at WriteHeader, sorted, then Date,
// Content-Length when the whole body was written before the header had to
// go out, a sniffed Content-Type, chunked framing for a body of unknown
// length, the trailers. The body passes a 2 KiB buffer first, as there.
type leanWriter struct {
	conn      net.Conn
	bw        *bufio.Writer // the connection's, 4 KiB
	w         *bufio.Writer // the body's, 2 KiB, over chunks
	chunks    leanChunker
	keepAlive func() bool // false once the server shuts down
	onFlush   func()      // called when the handler flushes: a stream

	method        string
	header        http.Header // the handler's
	snap          http.Header // the header as WriteHeader saw it
	status        int
	wroteHeader   bool
	handlerDone   bool
	closeAfter    bool
	contentLength int64 // -1: unknown
	written       int64
	trailers      []string // declared by a Trailer field
	werr          error    // the first failed write to the connection
	headHeld      bool     // a raw head is all in bw, no body after it (leanrawhead.go)
	keys          []string // the header's, sorted
	statusBuf     [3]byte
	clenBuf       [20]byte
}

func newLeanWriter(conn net.Conn, keepAlive func() bool) *leanWriter {
	lw := &leanWriter{conn: conn, keepAlive: keepAlive, header: http.Header{}, snap: http.Header{}}
	lw.bw = bufio.NewWriterSize(connWriter{lw}, 4<<10)
	lw.chunks.lw = lw
	lw.w = bufio.NewWriterSize(&lw.chunks, 2<<10)
	return lw
}

// reset readies lw for a request with this method.
func (lw *leanWriter) reset(method string) {
	clear(lw.header)
	clear(lw.snap)
	lw.method, lw.status, lw.wroteHeader, lw.handlerDone, lw.closeAfter = method, 0, false, false, false
	lw.headHeld = false
	lw.contentLength, lw.written, lw.trailers = -1, 0, lw.trailers[:0]
	lw.chunks.wroteHeader, lw.chunks.chunking = false, false
	lw.w.Reset(&lw.chunks)
}

// touched reports whether anything of the response was written: until
// then the request can still go to net/http's server.
func (lw *leanWriter) touched() bool {
	return lw.wroteHeader || lw.bw.Buffered() > 0 || lw.werr != nil
}

func (lw *leanWriter) Header() http.Header { return lw.header }

func (lw *leanWriter) WriteHeader(code int) {
	if lw.wroteHeader {
		return // net/http logs a superfluous call and ignores it
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		writeStatusLine(lw.bw, code, lw.statusBuf[:])
		lw.keys = writeFields(lw.bw, lw.header, excludedHeadersNoBody, lw.keys)
		_, _ = lw.bw.WriteString("\r\n")
		_ = lw.bw.Flush()
		return
	}
	lw.wroteHeader, lw.status = true, code
	for k, v := range lw.header {
		lw.snap[k] = v
	}
	if cl := lw.header.Get("Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			lw.contentLength = v
		} else {
			lw.header.Del("Content-Length") // not from snap: net/http's copy keeps it
		}
	}
}

var excludedHeadersNoBody = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

func (lw *leanWriter) Write(p []byte) (int, error) {
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(lw.status) {
		return 0, http.ErrBodyNotAllowed
	}
	lw.written += int64(len(p))
	if lw.contentLength != -1 && lw.written > lw.contentLength {
		return 0, http.ErrContentLength
	}
	return lw.w.Write(p)
}

// WriteString is Write for strings, as net/http's response has it: the
// body's buffer then takes a long string in pieces (the same chunks).
func (lw *leanWriter) WriteString(s string) (int, error) {
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	if len(s) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(lw.status) {
		return 0, http.ErrBodyNotAllowed
	}
	lw.written += int64(len(s))
	if lw.contentLength != -1 && lw.written > lw.contentLength {
		return 0, http.ErrContentLength
	}
	return lw.w.WriteString(s)
}

// FlushError sends what is buffered (http.ResponseController's Flush).
func (lw *leanWriter) FlushError() error {
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	if lw.onFlush != nil {
		lw.onFlush()
	}
	lw.headHeld = false
	err := lw.w.Flush()
	if !lw.chunks.wroteHeader {
		lw.chunks.writeHeader(nil)
	}
	return errors.Join(err, lw.bw.Flush())
}

func (lw *leanWriter) Flush() { _ = lw.FlushError() }

// finish ends the response after the handler, and reports whether the
// connection may serve another request.
func (lw *leanWriter) finish() bool {
	lw.handlerDone = true
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	_ = lw.w.Flush()
	lw.chunks.close()
	_ = lw.bw.Flush()
	if lw.closeAfter || lw.werr != nil {
		return false
	}
	return lw.method == http.MethodHead || lw.contentLength == -1 || !bodyAllowedForStatus(lw.status) ||
		lw.contentLength == lw.written
}

// connWriter writes to the connection, closing it on the first error as
// net/http does.
type connWriter struct{ lw *leanWriter }

func (c connWriter) Write(p []byte) (int, error) {
	n, err := c.lw.conn.Write(p)
	if err != nil && c.lw.werr == nil {
		c.lw.werr = err
		_ = c.lw.conn.Close()
	}
	return n, err
}

// leanChunker frames the body, after writing the header on first use:
// net/http's chunkWriter.
type leanChunker struct {
	lw          *leanWriter
	wroteHeader bool
	chunking    bool
}

func (cw *leanChunker) Write(p []byte) (int, error) {
	if !cw.wroteHeader {
		cw.writeHeader(p)
	}
	cw.lw.headHeld = false
	if cw.lw.method == http.MethodHead {
		return len(p), nil
	}
	bw := cw.lw.bw
	if cw.chunking {
		if _, err := fmt.Fprintf(bw, "%x\r\n", len(p)); err != nil {
			return 0, err
		}
	}
	n, err := bw.Write(p)
	if cw.chunking && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	return n, err
}

func (cw *leanChunker) close() {
	if !cw.wroteHeader {
		cw.writeHeader(nil)
	}
	if !cw.chunking {
		return
	}
	bw := cw.lw.bw
	_, _ = bw.WriteString("0\r\n")
	if t := cw.lw.finalTrailers(); t != nil {
		_ = t.Write(bw)
	}
	_, _ = bw.WriteString("\r\n")
}

// finalTrailers are the trailers the handler set: with TrailerPrefix, or
// declared in the header's Trailer field.
func (lw *leanWriter) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range lw.header {
		if kk, found := strings.CutPrefix(k, http.TrailerPrefix); found {
			if t == nil {
				t = http.Header{}
			}
			t[kk] = vv
		}
	}
	for _, k := range lw.trailers {
		if t == nil {
			t = http.Header{}
		}
		for _, v := range lw.header[k] {
			t.Add(k, v)
		}
	}
	return t
}

func (lw *leanWriter) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	if httpguts.ValidTrailerHeader(k) {
		lw.trailers = append(lw.trailers, k)
	}
}

func bodyAllowedForStatus(status int) bool {
	return !(status >= 100 && status <= 199 || status == http.StatusNoContent || status == http.StatusNotModified)
}

func writeStatusLine(bw *bufio.Writer, code int, scratch []byte) {
	_, _ = bw.WriteString("HTTP/1.1 ")
	if text := http.StatusText(code); text != "" {
		_, _ = bw.Write(strconv.AppendInt(scratch[:0], int64(code), 10))
		_ = bw.WriteByte(' ')
		_, _ = bw.WriteString(text)
		_, _ = bw.WriteString("\r\n")
		return
	}
	_, _ = fmt.Fprintf(bw, "%03d status code %d\r\n", code, code)
}
