package web

import (
	"context"
	"log/slog"
	"sync"

	"github.com/spawnhub/spawnhub/store"
)

// serverChanges shares one follower of store.TopicServers among the
// progress streams of this replica and wakes each only for its own
// server's changes (and for every resync, when any may have been
// missed): a change wakes one page, not every open page. The follower
// runs while a stream watches.
type serverChanges struct {
	sub store.Subscriber
	log *slog.Logger

	mu     sync.Mutex
	byKey  map[string]map[chan struct{}]struct{}
	n      int
	cancel context.CancelFunc // ends the follower
}

func newServerChanges(sub store.Subscriber, log *slog.Logger) *serverChanges {
	return &serverChanges{sub: sub, log: log, byKey: map[string]map[chan struct{}]struct{}{}}
}

// watch signals each change of key until ctx is done. Signals coalesce:
// one pending is enough to read the server again. Call it before reading
// the server, so that no change after the read goes unsignalled.
func (c *serverChanges) watch(ctx context.Context, key store.Key) <-chan struct{} {
	k, ch := key.String(), make(chan struct{}, 1)
	c.mu.Lock()
	if c.byKey[k] == nil {
		c.byKey[k] = map[chan struct{}]struct{}{}
	}
	c.byKey[k][ch] = struct{}{}
	if c.n++; c.n == 1 {
		var fctx context.Context
		fctx, c.cancel = context.WithCancel(context.Background())
		go store.Follow(fctx, c.sub, store.TopicServers, c.handle, store.FollowOptions{Logger: c.log}) // ends with cancel
	}
	c.mu.Unlock()
	context.AfterFunc(ctx, func() { c.leave(k, ch) })
	return ch
}

func (c *serverChanges) leave(k string, ch chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byKey[k], ch)
	if len(c.byKey[k]) == 0 {
		delete(c.byKey, k)
	}
	if c.n--; c.n == 0 {
		c.cancel()
	}
}

// handle wakes the watchers of the key in msg, or all of them on "".
func (c *serverChanges) handle(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg != "" {
		signalAll(c.byKey[msg])
		return
	}
	for _, chans := range c.byKey {
		signalAll(chans)
	}
}

func signalAll(chans map[chan struct{}]struct{}) {
	for ch := range chans {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
