package proxy

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/spawnhub/spawnhub/store"
)

// Run does the proxy's background work until ctx is done: it keeps the
// route cache in step with the store's invalidations, flushes activity
// (once more on exit) and pings websocket clients, and closes upstream
// connections left idle. It returns nil when ctx is done. Revocations
// reach Revoked, and sharing changes Recheck, from auth, after it has
// forgotten the old credentials or sharing (listening to the store here
// too would race with auth's caches).
func (p *Proxy) Run(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error { p.followRoutes(ctx); return nil })
	g.Go(func() error { return p.flushLoop(ctx, p.tick(ctx, p.opts.ActivityTick, p.opts.ActivityFlush)) })
	g.Go(func() error { return p.pingLoop(ctx, p.tick(ctx, p.opts.PingTick, p.opts.PingInterval)) })
	if p.lean != nil {
		g.Go(func() error { return p.idleConnLoop(ctx, p.tick(ctx, nil, idleConnTimeout/3)) })
	}
	return g.Wait()
}

// tick returns c, or a ticker's channel that stops with ctx.
func (p *Proxy) tick(ctx context.Context, c <-chan time.Time, every time.Duration) <-chan time.Time {
	if c != nil {
		return c
	}
	t := time.NewTicker(every)
	context.AfterFunc(ctx, t.Stop)
	return t.C
}

// followRoutes drops the cached routes the store invalidates until ctx is
// done. The cache is on while the subscription runs, off while it is down.
func (p *Proxy) followRoutes(ctx context.Context) {
	store.Follow(ctx, p.opts.PubSub, store.TopicRoutes, func(msg string) {
		if msg == "" {
			p.cache.reset(true)
			return
		}
		p.cache.drop(msg)
	}, store.FollowOptions{Logger: p.log, OnBreak: func() { p.cache.reset(false) }})
}

// idleConnLoop closes the upstream connections idle longer than
// idleConnTimeout on every tick, and all of them when ctx is done.
func (p *Proxy) idleConnLoop(ctx context.Context, tick <-chan time.Time) error {
	for {
		select {
		case now := <-tick:
			p.lean.CloseIdleBefore(now.Add(-idleConnTimeout))
			p.timed.closeIdle(now.Add(-idleConnTimeout))
		case <-ctx.Done():
			p.lean.CloseIdleConnections()
			p.timed.closeIdle(time.Time{})
			return nil
		}
	}
}
