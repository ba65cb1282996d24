package main

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Out of file descriptors, the listener closes this many of the oldest
// pending connections before it accepts again, and waits between tries
// from minAcceptBackoff, doubling up to maxAcceptBackoff while nothing can
// be shed (every descriptor serves a request).
const (
	shedBatch        = 64
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// gatedListener hands every accepted connection to a headGate, and turns
// "too many open files" into shedding instead of a busy loop or a crash:
// the kernel keeps new connections in its backlog meanwhile.
type gatedListener struct {
	net.Listener
	gate *headGate
	// wait sleeps for d unless done is closed first; it reports whether
	// the time passed.
	wait func(d time.Duration, done <-chan struct{}) bool

	once sync.Once
	done chan struct{} // closed by Close
}

func (g *headGate) listener(ln net.Listener) *gatedListener {
	return &gatedListener{Listener: ln, gate: g, wait: sleep, done: make(chan struct{})}
}

func (l *gatedListener) Accept() (net.Conn, error) {
	backoff := time.Duration(0)
	for {
		nc, err := l.Listener.Accept()
		if err == nil {
			return l.gate.admit(nc), nil
		}
		if !outOfDescriptors(err) {
			return nil, err
		}
		backoff = nextBackoff(backoff, l.gate.shed(shedBatch))
		if !l.wait(backoff, l.done) {
			return nil, net.ErrClosed
		}
	}
}

// nextBackoff is the wait before the next Accept: short when shedding freed
// descriptors, growing while nothing could be shed.
func nextBackoff(prev time.Duration, shed int) time.Duration {
	if shed > 0 || prev == 0 {
		return minAcceptBackoff
	}
	return min(2*prev, maxAcceptBackoff)
}

func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

func (l *gatedListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func sleep(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}
