package proxy

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/spawnhub/spawnhub/store"
)

// Run does the proxy's background work until ctx is done: it keeps the
// route cache in step with the store's invalidations, closes the websockets
// of revoked sessions and tokens, flushes activity (once more on exit) and pings
// websocket clients, and closes upstream connections left idle. It returns nil when ctx is done. Sharing changes reach
// Recheck from the access policy, after it has forgotten the old sharing
// (listening to the store here too would race with the policy's cache).
func (p *Proxy) Run(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error { return p.subscribeLoop(ctx, store.TopicRoutes, p.routeCacheHandler()) })
	g.Go(func() error { return p.subscribeLoop(ctx, store.TopicSessions, p.closeSession) })
	g.Go(func() error { return p.subscribeLoop(ctx, store.TopicTokens, p.closeToken) })
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

// routeCacheHandler returns the handler of route invalidations, which also
// turns the cache on while the subscription runs (and off when it breaks).
func (p *Proxy) routeCacheHandler() func(msg string) {
	return func(msg string) {
		if msg == "" {
			p.cache.reset(true)
			return
		}
		p.cache.drop(msg)
	}
}

// subscribeLoop delivers the messages of topic to handle until ctx is done,
// subscribing again (after a pause) whenever the subscription breaks. The
// handler sees "" after each (re)subscription: everything may have changed.
func (p *Proxy) subscribeLoop(ctx context.Context, topic string, handle func(string)) error {
	wait := 100 * time.Millisecond
	for {
		msgs, err := p.opts.PubSub.Subscribe(ctx, topic)
		if err == nil {
			wait = 100 * time.Millisecond
			handle("")
			consume(ctx, msgs, handle)
		}
		if topic == store.TopicRoutes {
			p.cache.reset(false)
		}
		if ctx.Err() != nil {
			return nil
		}
		p.log.WarnContext(ctx, "subscription interrupted; resubscribing", "topic", topic, "err", err, "in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// consume handles messages until the channel closes or ctx is done.
func consume(ctx context.Context, msgs <-chan string, handle func(string)) {
	for {
		select {
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			handle(msg)
		case <-ctx.Done():
			return
		}
	}
}

// idleConnLoop closes the upstream connections idle longer than
// idleConnTimeout on every tick, and all of them when ctx is done.
func (p *Proxy) idleConnLoop(ctx context.Context, tick <-chan time.Time) error {
	for {
		select {
		case now := <-tick:
			p.lean.CloseIdleBefore(now.Add(-idleConnTimeout))
		case <-ctx.Done():
			p.lean.CloseIdleConnections()
			return nil
		}
	}
}
