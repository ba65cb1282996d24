// Package h1 is the proxy's lean HTTP/1.1 client: a RoundTripper for
// bodiless plain-HTTP requests that writes each request with one flush
// (reqwrite.go), on a connection that can, from within the wait for its
// reply (send.go), keeps idle keep-alive connections per server without
// goroutines (connpool.go), checks a pooled connection is still open before
// sending a request that may not be sent twice (alive_*.go), and hands
// everything else to another RoundTripper (an http.Transport). Its tests
// hold it to net/http's behaviour (conformance_test.go).
package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// Transport relays plain-HTTP requests without a body (the bulk of a
// workspace's traffic) over pooled keep-alive connections, on the caller's
// goroutine: it writes the request with one flush and reads the response
// with http.ReadResponse, and the response body puts the connection back
// when it has been read to the end. Unlike http.Transport it starts no
// goroutines per connection. Everything else (request bodies, which a
// server may answer before reading, https, protocol upgrades) goes to
// Options.Other.
type Transport struct {
	pool          *connPool
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	headerTimeout time.Duration // 0: none
	other         http.RoundTripper
	readers       sync.Pool // *bufio.Reader
	senders       sync.Pool // *sender
}

// Options configures a Transport. Dial and Other are required.
type Options struct {
	// Dial connects to a server ("tcp", host:port).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HeaderTimeout bounds waiting for a response's header (0: none).
	HeaderTimeout time.Duration
	// MaxIdlePerHost is how many idle connections are kept per server
	// (default 256); IdleTimeout how long one is kept (default 90s).
	MaxIdlePerHost int
	IdleTimeout    time.Duration
	// Other relays the requests Transport does not (see Handles).
	Other http.RoundTripper
}

// New returns a Transport. It starts no goroutines: call CloseIdleBefore
// now and then to close connections left idle, and CloseIdleConnections
// when done.
func New(o Options) *Transport {
	if o.MaxIdlePerHost <= 0 {
		o.MaxIdlePerHost = 256
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 90 * time.Second
	}
	return &Transport{
		pool:          newConnPool(o.MaxIdlePerHost, o.IdleTimeout),
		dial:          o.Dial,
		headerTimeout: o.HeaderTimeout,
		other:         o.Other,
	}
}

// CloseIdleBefore closes the idle connections put back before cutoff.
func (t *Transport) CloseIdleBefore(cutoff time.Time) { t.pool.closeIdle(cutoff) }

// CloseIdleConnections closes every idle connection, and those of Other.
func (t *Transport) CloseIdleConnections() {
	t.pool.closeIdle(time.Now().Add(time.Hour))
	if c, ok := t.other.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// maxInformational bounds the 1xx responses skipped before the final one.
const maxInformational = 5

// Handles tells whether t relays req itself: a plain-HTTP request without
// a body or an upgrade.
func (t *Transport) Handles(req *http.Request) bool {
	return req.URL.Scheme == "http" && (req.Body == nil || req.Body == http.NoBody) &&
		req.Header["Upgrade"] == nil
}

// Got1xx receives a 1xx response read before the final one.
type Got1xx func(code int, header textproto.MIMEHeader) error

// RoundTrip implements http.RoundTripper. 1xx responses go to the
// request's trace.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.Handles(req) {
		return t.other.RoundTrip(req)
	}
	return t.Relay(req, nil)
}

// Relay is RoundTrip for a request Transport handles (see Handles), with
// 1xx responses passed to got1xx, or to the request's trace when nil: a
// caller that forwards them needs no trace in the request's context.
func (t *Transport) Relay(req *http.Request, got1xx Got1xx) (*http.Response, error) {
	return t.RelayHead(req, got1xx, nil)
}

// RelayHead is Relay that keeps a plain final response head raw in head
// (see Head) instead of parsing it: the response returned is then head's
// own, valid until head is reset. A nil head is Relay.
func (t *Transport) RelayHead(req *http.Request, got1xx Got1xx, head *Head) (*http.Response, error) {
	return t.RelayFields(req, nil, got1xx, head)
}

// RelayFields is RelayHead with the request's header fields written by
// fields instead of from req.Header (nil: req.Header's). req.Header is
// still read for what decides the exchange (Handles, a replay).
func (t *Transport) RelayFields(req *http.Request, fields FieldWriter, got1xx Got1xx, head *Head) (*http.Response, error) {
	if req.Method != "" && !token(req.Method) {
		// Request.Write, which WriteRequest falls back to, would send it.
		return nil, fmt.Errorf("h1: invalid method %q", req.Method)
	}
	addr := hostPort(req.URL.Host)
	for {
		now := time.Now()
		c, err := t.conn(req, addr, now)
		if err != nil {
			return nil, err
		}
		res, err := t.exchange(c, req, fields, got1xx, head, now)
		if err == nil || !isStale(err) || !replayable(req) {
			return res, err
		}
		// The server closed the idle connection: try the next one.
	}
}

// conn returns an idle connection to addr or dials one. A request that
// may not be sent twice gets an idle connection only if the server has not
// closed it.
func (t *Transport) conn(req *http.Request, addr string, now time.Time) (*upConn, error) {
	for {
		c := t.pool.take(addr, now)
		if c == nil {
			break
		}
		if replayable(req) {
			return c, nil
		}
		c.readsEndBy(now, t.headerTimeout) // alive cannot read past a deadline
		if alive(c.nc) {
			return c, nil
		}
		_ = c.nc.Close()
	}
	nc, err := t.dial(req.Context(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newUpConn(nc, addr), nil
}

// exchange sends req on c, at now, and reads the response's header. On
// error c is closed.
func (t *Transport) exchange(c *upConn, req *http.Request, fields FieldWriter, got1xx Got1xx, head *Head, now time.Time) (*http.Response, error) {
	ctx := req.Context()
	watch := watchCancel(ctx, c.abort)
	s := t.sender()
	if err := s.send(c, req, fields, c.writesAsItReads(now)); err != nil {
		t.putSender(s, c)
		return nil, t.fail(ctx, c, watch, nil, c.staleIf(err))
	}
	br := t.reader(c)
	c.readsEndBy(now, t.headerTimeout)
	res, err := t.readHeader(c, br, req, got1xx, head)
	t.putSender(s, c) // the request's bytes went with the first read
	if err != nil {
		return nil, t.fail(ctx, c, watch, br, err)
	}
	if c.ackWhileBodyToCome(res, br.Buffered()) {
		c.readsUnbounded()
	}
	keep := !res.Close && !req.Close
	if res.Body == http.NoBody {
		t.release(c, br, keep && watch.end())
		return res, nil
	}
	body := upBody{t: t, c: c, br: br, body: res.Body, watch: watch, ctx: ctx, keep: keep}
	if head != nil && head.Raw() {
		head.body = body // the head's: no allocation
		res.Body = &head.body
	} else {
		res.Body = newBody(body)
	}
	return res, nil
}

func newBody(b upBody) *upBody { return &b }

// fail closes c after a failed exchange and returns the error to report:
// the context's when it ended.
func (t *Transport) fail(ctx context.Context, c *upConn, watch cancelWatch, br *bufio.Reader, err error) error {
	watch.end()
	_ = c.nc.Close()
	if br != nil {
		t.putReader(br)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (t *Transport) sender() *sender {
	if s, ok := t.senders.Get().(*sender); ok {
		return s
	}
	return newSender()
}

// putSender puts s back once c has no more use for what it holds.
func (t *Transport) putSender(s *sender, c *upConn) {
	c.pending = nil
	s.reset()
	t.senders.Put(s)
}

// readHeader reads the final response's header (within the read deadline
// exchange set), passing 1xx responses to got1xx or the request's trace
// (the proxy forwards them).
func (t *Transport) readHeader(c *upConn, br *bufio.Reader, req *http.Request, got1xx Got1xx, head *Head) (*http.Response, error) {
	if _, err := br.Peek(1); err != nil {
		return nil, c.staleIf(err)
	}
	for range maxInformational + 1 {
		if head != nil {
			if res := head.readPlain(br, req); res != nil {
				t.plainBody(head, br, req)
				return res, nil
			}
		}
		res, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, err
		}
		if res.StatusCode >= 200 || res.StatusCode == http.StatusSwitchingProtocols {
			return res, nil
		}
		if err := informational(req, res, got1xx); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("too many 1xx informational responses")
}

// plainBody sets the body of a plain head's response: Content-Length's
// bytes of br, none for HEAD.
func (t *Transport) plainBody(head *Head, br *bufio.Reader, req *http.Request) {
	if head.length == 0 || req.Method == http.MethodHead {
		head.res.Body = http.NoBody
		return
	}
	head.left = lengthReader{r: br, n: head.length}
	head.res.Body = &head.left
}

// informational passes a 1xx response to got1xx, or to the request's trace.
func informational(req *http.Request, res *http.Response, got1xx Got1xx) error {
	if got1xx != nil {
		return got1xx(res.StatusCode, textproto.MIMEHeader(res.Header))
	}
	trace := httptrace.ContextClientTrace(req.Context())
	if trace == nil || trace.Got1xxResponse == nil {
		return nil
	}
	return trace.Got1xxResponse(res.StatusCode, textproto.MIMEHeader(res.Header))
}

// release puts c back in the pool when keep, or closes it.
func (t *Transport) release(c *upConn, br *bufio.Reader, keep bool) {
	keep = keep && br.Buffered() == 0 // nothing unasked-for from the server
	t.putReader(br)
	if keep {
		if c.acks != nil {
			c.acks.AckReads(false)
		}
		t.pool.put(c, time.Now())
		return
	}
	_ = c.nc.Close()
}

func (t *Transport) reader(c *upConn) *bufio.Reader {
	br, _ := t.readers.Get().(*bufio.Reader)
	if br == nil {
		return bufio.NewReader(c)
	}
	br.Reset(c)
	return br
}

func (t *Transport) putReader(br *bufio.Reader) {
	br.Reset(nil)
	t.readers.Put(br)
}

// staleConnError is a failure to send on, or to hear anything back from, a
// reused connection: the server probably closed it while it sat idle, so
// the request may be retried on another one.
type staleConnError struct{ err error }

func (e staleConnError) Error() string { return fmt.Sprintf("stale connection: %v", e.err) }
func (e staleConnError) Unwrap() error { return e.err }

// isStale tells a staleConnError (apart, so that only a failure pays
// for the variable errors.As needs).
func isStale(err error) bool {
	var stale staleConnError
	return errors.As(err, &stale)
}

// staleIf wraps err as a staleConnError when c was reused and err is not a
// timeout.
func (c *upConn) staleIf(err error) error {
	var ne net.Error
	if !c.reused || (errors.As(err, &ne) && ne.Timeout()) {
		return err
	}
	return staleConnError{err}
}

// replayable tells whether req may be sent again after a connection broke
// before any answer (as http.Transport decides).
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return req.Header["Idempotency-Key"] != nil || req.Header["X-Idempotency-Key"] != nil
}

// hostPort returns host with the default HTTP port when it has none.
func hostPort(host string) string {
	if strings.LastIndexByte(host, ':') > strings.LastIndexByte(host, ']') {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "80")
}
