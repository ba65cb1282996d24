package main

import (
	"net/http"
	"strings"
)

// WriteRawHead writes a response head whose fields come as the proxy's
// server sent them (the proxy's raw head path, proxy/rawhead.go): what
// writeHeader writes for a body of contentLength bytes, the same status
// line, the handler's Header sorted first, the given field lines (plain
// bytes, token names, each ending with CRLF; none of the fields the
// writer adds or reads but Date and Content-Type), then Date unless there
// is one, and Connection: close when the connection ends after this
// response. It declines, writing nothing, once a head went out or when
// the handler's Header holds a field writeHeader would act on.
func (lw *leanWriter) WriteRawHead(code int, fields []byte, contentLength int64, hasDate bool) bool {
	if lw.wroteHeader || code < 200 || !bodyAllowedForStatus(code) || contentLength < 0 {
		return false
	}
	for k := range lw.header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Trailer", "Connection", "Content-Type", "Content-Encoding":
			return false
		case "Date":
			hasDate = true
		}
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return false
		}
	}
	lw.wroteHeader, lw.status, lw.contentLength = true, code, contentLength
	lw.chunks.wroteHeader = true // not chunked: the length is known
	if !lw.keepAlive() {
		lw.closeAfter = true
	}
	bw := lw.bw
	writeStatusLine(bw, code, lw.statusBuf[:])
	lw.keys = writeFields(bw, lw.header, nil, lw.keys)
	n := bw.Buffered() // all of it, unless it filled bw
	_, _ = bw.Write(fields)
	if !hasDate {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.Write(currentDate())
		_, _ = bw.WriteString("\r\n")
	}
	if lw.closeAfter {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	lw.headHeld = bw.Buffered() == n+len(fields)+tail(hasDate, lw.closeAfter)
	return true
}

// tail is the length of what WriteRawHead writes after the fields.
func tail(hasDate, closeAfter bool) int {
	n := len("\r\n")
	if !hasDate {
		n += len("Date: ") + len(http.TimeFormat) + len("\r\n")
	}
	if closeAfter {
		n += len("Connection: close\r\n")
	}
	return n
}

// dropHeldHead forgets a raw head not followed by any of its body when
// the response is aborted: the generic path holds its head until the body
// fills a buffer, and so sends nothing of a response that breaks before.
func (lw *leanWriter) dropHeldHead() {
	if lw.headHeld {
		lw.bw.Reset(connWriter{lw})
		lw.headHeld = false
	}
}
