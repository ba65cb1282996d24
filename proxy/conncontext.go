package proxy

import (
	"context"
	"sync"
)

// A ConnContext is the context of the requests a server reads from one
// connection, one at a time (cmd/spawnhub's lean path): it ends with End,
// when the client is gone. The lean client's exchange with a workspace
// for such a request watches it (h1.AbortWatcher) instead of registering
// with context.AfterFunc, which costs an allocated registration and an
// entry in the parent's map per request.
type ConnContext struct {
	context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	abort  func() // the watching exchange's; nil: none
	ended  bool
}

// NewConnContext is a ConnContext below parent.
func NewConnContext(parent context.Context) *ConnContext {
	c := &ConnContext{}
	c.Context, c.cancel = context.WithCancel(parent)
	return c
}

// End ends the context, then aborts the exchange that watches it.
func (c *ConnContext) End() {
	c.cancel()
	c.mu.Lock()
	abort := c.abort
	c.abort, c.ended = nil, true
	c.mu.Unlock()
	if abort != nil {
		abort()
	}
}

// WatchAbort has abort run at End (at once after it) and reports true, or
// reports false when another exchange watches.
func (c *ConnContext) WatchAbort(abort func()) bool {
	c.mu.Lock()
	if c.abort != nil {
		c.mu.Unlock()
		return false
	}
	if c.ended {
		c.mu.Unlock()
		abort()
		return true
	}
	c.abort = abort
	c.mu.Unlock()
	return true
}

// UnwatchAbort ends the watch and reports whether its abort has not run
// and will not.
func (c *ConnContext) UnwatchAbort() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	watched := c.abort != nil
	c.abort = nil
	return watched
}
