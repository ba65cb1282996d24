package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// minBodyRate holds request bodies to a minimum rate: while a handler
// waits for body bytes, at least perWindow of them must arrive in every
// window of waiting, or the read fails and the server closes the
// connection. There is no bound on a body's total time, so an upload that
// keeps moving (a notebook, a data file through the proxy) is never cut.
// Only time spent waiting in Read counts: a handler that pauses reading
// (its upstream is slow) does not make the client late.
type minBodyRate struct {
	perWindow int64
	window    time.Duration
	now       func() time.Time
}

func newMinBodyRate(bytesPerSecond int, window time.Duration) minBodyRate {
	perWindow := max(int64(float64(bytesPerSecond)*window.Seconds()), 1)
	return minBodyRate{perWindow: perWindow, window: window, now: time.Now}
}

// wrap applies the rate to the bodies of requests that h serves.
func (m minBodyRate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Upgrade") != "" {
			h.ServeHTTP(w, r) // an upgrade's hijacker owns the connection's deadlines
			return
		}
		body := &rateReader{body: r.Body, rate: m, setDeadline: http.NewResponseController(w).SetReadDeadline}
		if !body.arm() { // not an HTTP/1 connection (a test recorder)
			h.ServeHTTP(w, r)
			return
		}
		// A copy of the request carries the wrapped body: the server keeps
		// its own, to drain or discard after the handler.
		r = r.WithContext(r.Context())
		r.Body = body
		h.ServeHTTP(w, r)
		body.finish()
	})
}

// rateReader is a request body held to a minimumBodyRate.
type rateReader struct {
	body        io.ReadCloser
	rate        minBodyRate
	setDeadline func(time.Time) error // the connection's read deadline

	got    int64         // bytes since the current window began
	waited time.Duration // time spent in Read since then
	done   bool          // the body ended (EOF or an error)
}

// errBodyTooSlow is what a read of a stalled body returns, wrapping the
// connection's os.ErrDeadlineExceeded.
var errBodyTooSlow = errors.New("request body too slow")

func (b *rateReader) Read(p []byte) (int, error) {
	if b.done {
		return b.body.Read(p)
	}
	start := b.rate.now()
	_ = b.setDeadline(start.Add(b.rate.window - b.waited)) // arm showed it can
	n, err := b.body.Read(p)
	b.waited += b.rate.now().Sub(start)
	if b.got += int64(n); b.got >= b.rate.perWindow {
		b.got, b.waited = 0, 0
	}
	if err != nil {
		b.end()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: less than %d bytes in %v: %w", errBodyTooSlow, b.rate.perWindow, b.rate.window, err)
		}
	}
	return n, err
}

// arm bounds every read of the connection until the handler reads the
// body itself: the server may read it on its own (to discard it when the
// handler answers without reading). It reports whether deadlines work here.
func (b *rateReader) arm() bool {
	return b.setDeadline(b.rate.now().Add(b.rate.window)) == nil
}

// end lifts the deadline once the body is over: the server's background
// read, which watches for the client going away during a long response,
// must not time out.
func (b *rateReader) end() {
	b.done = true
	_ = b.setDeadline(time.Time{})
}

// finish runs when the handler returns. If it left part of the body
// unread, the server reads up to 256 KiB more before it reuses the
// connection: that read gets one window.
func (b *rateReader) finish() {
	if !b.done {
		b.arm()
	}
}

func (b *rateReader) Close() error { return b.body.Close() }
