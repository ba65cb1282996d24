package main

import (
	"bufio"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// writeHeader writes the response head once, p being the start of the
// body (all of it when the handler is done): net/http's
// chunkWriter.writeHeader for an HTTP/1.1 request without a body.
func (cw *leanChunker) writeHeader(p []byte) {
	cw.wroteHeader = true
	lw := cw.lw
	header := lw.snap
	keepAlive := lw.keepAlive()
	isHEAD := lw.method == http.MethodHead
	var exclude map[string]bool
	var date, clen []byte
	var contentType, connection, transferEncoding string

	trailers := false
	for k := range header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			if exclude == nil {
				exclude = map[string]bool{}
			}
			exclude[k], trailers = true, true
		}
	}
	for _, v := range header["Trailer"] {
		trailers = true
		foreachHeaderElement(v, lw.declareTrailer)
	}
	te := header.Get("Transfer-Encoding")
	hasTE := te != ""
	if lw.handlerDone && !trailers && !hasTE && bodyAllowedForStatus(lw.status) && !has(header, "Content-Length") && (!isHEAD || len(p) > 0) {
		lw.contentLength = int64(len(p))
		clen = strconv.AppendInt(lw.clenBuf[:0], int64(len(p)), 10)
	}
	hasCL := lw.contentLength != -1
	if header.Get("Connection") == "close" || !keepAlive {
		lw.closeAfter = true
	}
	code := lw.status
	if bodyAllowedForStatus(code) {
		_, haveType := header["Content-Type"]
		if header.Get("Content-Encoding") == "" && !haveType && !hasTE && len(p) > 0 {
			contentType = http.DetectContentType(p)
		}
	} else {
		for _, k := range suppressedHeaders(code) {
			header.Del(k)
		}
	}
	if !has(header, "Date") {
		date = currentDate()
	}
	if hasCL && hasTE && te != "identity" {
		header.Del("Content-Length") // net/http logs this
		hasCL = false
	}
	switch {
	case isHEAD || !bodyAllowedForStatus(code) || code == http.StatusNoContent, hasCL:
		header.Del("Transfer-Encoding")
	case hasTE && te == "identity":
		lw.closeAfter = true
		header.Del("Transfer-Encoding")
	default:
		cw.chunking, transferEncoding = true, "chunked"
		if hasTE && te == "chunked" {
			header.Del("Transfer-Encoding")
		}
	}
	if cw.chunking {
		header.Del("Content-Length")
	}
	if lw.closeAfter && (!keepAlive || !hasToken(header.Get("Connection"), "close")) {
		header.Del("Connection")
		connection = "close"
	}
	bw := lw.bw
	writeStatusLine(bw, code, lw.statusBuf[:])
	lw.keys = writeFields(bw, header, exclude, lw.keys)
	if date != nil {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.Write(date)
		_, _ = bw.WriteString("\r\n")
	}
	if clen != nil {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(clen)
		_, _ = bw.WriteString("\r\n")
	}
	for _, f := range [...][2]string{{"Content-Type", contentType}, {"Connection", connection}, {"Transfer-Encoding", transferEncoding}} {
		if f[1] != "" {
			_, _ = bw.WriteString(f[0] + ": " + f[1] + "\r\n")
		}
	}
	_, _ = bw.WriteString("\r\n")
}

// writeFields writes h but the keys in exclude as http.Header.WriteSubset
// does (sorted keys, invalid names skipped, line breaks in values made
// spaces, values trimmed), sorting in keys, which it returns for reuse.
func writeFields(bw *bufio.Writer, h http.Header, exclude map[string]bool, keys []string) []string {
	keys = keys[:0]
	for k := range h {
		if !exclude[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) {
			continue // net/http skips it too
		}
		for _, v := range h[k] {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(textproto.TrimString(v))
			_, _ = bw.WriteString("\r\n")
		}
	}
	return keys
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// currentDate is the Date field's value, formatted once a second.
func currentDate() []byte {
	now := time.Now()
	sec := now.Unix()
	if d := lastDate.Load(); d != nil && d.sec == sec {
		return d.value
	}
	d := &formattedDate{sec: sec, value: now.UTC().AppendFormat(nil, http.TimeFormat)}
	lastDate.Store(d)
	return d.value
}

type formattedDate struct {
	sec   int64
	value []byte // never written into
}

var lastDate atomic.Pointer[formattedDate]

func has(h http.Header, key string) bool {
	_, ok := h[key]
	return ok
}

func suppressedHeaders(status int) []string {
	switch {
	case status == http.StatusNotModified:
		return []string{"Content-Type", "Content-Length", "Transfer-Encoding"}
	case !bodyAllowedForStatus(status):
		return []string{"Content-Length", "Transfer-Encoding"}
	}
	return nil
}

// foreachHeaderElement calls fn with each comma-separated element of v.
func foreachHeaderElement(v string, fn func(string)) {
	for f := range strings.SplitSeq(v, ",") {
		if f = textproto.TrimString(f); f != "" {
			fn(f)
		}
	}
}

// hasToken reports whether v holds token, a comma-separated element
// compared without case.
func hasToken(v, token string) bool {
	for f := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(textproto.TrimString(f), token) {
			return true
		}
	}
	return false
}
