package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// leanListener puts the lean server loop in front of net/http's server:
// every connection the gate admits starts on the lean path (leanConn), and
// those it hands over come out of Accept, for http.Server.Serve. Only the
// fast handler's requests are served on the lean path (the proxy's
// workspace-origin traffic); a connection's first other request, and all
// after it, are net/http's.
type leanListener struct {
	inner    net.Listener // the gate's
	fast     func(http.ResponseWriter, *http.Request) bool
	srv      *http.Server // for the requests' context, as net/http sets it
	log      *slog.Logger
	timeouts leanTimeouts

	handed chan net.Conn
	errs   chan error
	done   chan struct{} // closed by Close
	once   sync.Once

	mu    sync.Mutex
	conns map[*leanConn]struct{}
	wg    sync.WaitGroup // one per leanConn
}

type leanTimeouts struct{ head, idle time.Duration }

func newLeanListener(inner net.Listener, srv *http.Server, fast func(http.ResponseWriter, *http.Request) bool, log *slog.Logger) *leanListener {
	l := &leanListener{
		inner: inner, fast: fast, srv: srv, log: log,
		timeouts: leanTimeouts{head: srv.ReadHeaderTimeout, idle: srv.IdleTimeout},
		handed:   make(chan net.Conn), errs: make(chan error, 1), done: make(chan struct{}),
		conns: map[*leanConn]struct{}{},
	}
	go l.acceptLoop() // ends when inner.Accept fails for good (Close)
	return l
}

func (l *leanListener) acceptLoop() {
	for {
		nc, err := l.inner.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		gc, ok := nc.(*gatedConn)
		if !ok {
			l.handOver(nc)
			continue
		}
		c := l.newLeanConn(gc)
		if !l.track(c) {
			_ = gc.Close()
			continue
		}
		go func() { // ends when the connection closes or is handed over
			defer l.untrack(c)
			c.serve()
		}()
	}
}

func (l *leanListener) track(c *leanConn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	l.conns[c] = struct{}{}
	l.wg.Add(1)
	return true
}

func (l *leanListener) untrack(c *leanConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.wg.Done()
}

// handOver passes nc to net/http's server, or closes it if the server no
// longer accepts.
func (l *leanListener) handOver(nc net.Conn) {
	select {
	case l.handed <- nc:
	case <-l.done:
		_ = nc.Close()
	}
}

func (l *leanListener) Accept() (net.Conn, error) {
	select {
	case nc := <-l.handed:
		return nc, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting (http.Server.Shutdown and Close call it) and
// closes the lean connections that wait for a request; those serving one
// close after it, their responses saying "Connection: close".
func (l *leanListener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		close(l.done)
		for c := range l.conns {
			c.closing.Store(true)
			_ = c.gc.SetReadDeadline(time.Now()) // wakes a read for a head
		}
		l.mu.Unlock()
	})
	return l.inner.Close()
}

func (l *leanListener) Addr() net.Addr { return l.inner.Addr() }

// drain waits until every lean connection is closed, or ctx is done; then
// it closes those left (net/http's Shutdown does the same for its own).
func (l *leanListener) drain(ctx context.Context) error {
	idle := make(chan struct{})
	go func() { // ends when the last lean connection does
		l.wg.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		for c := range l.conns {
			_ = c.gc.Close()
		}
		l.mu.Unlock()
		return ctx.Err()
	}
}
