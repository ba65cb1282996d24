package redis

import (
	"context"
	"fmt"
	"sync"
)

// subscriberBuffer is how many messages a slow subscriber may lag behind
// before its backlog is replaced by one resync message ("").
const subscriberBuffer = 64

// fanout shares one Redis subscription per topic among every subscriber of
// this process (the proxy, the authenticator, each progress stream), so
// that a thousand open progress pages cost one Redis connection, not a
// thousand.
type fanout struct {
	mu    sync.Mutex
	feeds map[string]*feed
}

// feed is one Redis subscription and the channels it delivers to.
type feed struct {
	subs   map[chan string]struct{}
	cancel context.CancelFunc // ends the Redis subscription
}

// Subscribe delivers the messages published on topic after it returns,
// until ctx is done; then it closes the channel. When the connection breaks,
// go-redis reconnects and resubscribes; messages published meanwhile are
// lost, so each resubscription is delivered as "": drop every cache. A
// subscriber that falls far behind also gets "" instead of its backlog.
func (s *Store) Subscribe(ctx context.Context, topic string) (<-chan string, error) {
	out := make(chan string, subscriberBuffer)
	if err := s.fan.join(topic, out, s.openFeed); err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { s.fan.leave(topic, out) })
	return out, nil
}

// join adds out to topic's feed, opening the feed first if there is none.
func (f *fanout) join(topic string, out chan string, open func(topic string, deliver func(string)) (context.CancelFunc, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fd, ok := f.feeds[topic]; ok {
		fd.subs[out] = struct{}{}
		return nil
	}
	fd := &feed{subs: map[chan string]struct{}{out: {}}}
	cancel, err := open(topic, func(msg string) { f.deliver(topic, msg) })
	if err != nil {
		return err
	}
	fd.cancel = cancel
	if f.feeds == nil {
		f.feeds = map[string]*feed{}
	}
	f.feeds[topic] = fd
	return nil
}

// leave removes out and closes it; the last subscriber ends the feed.
func (f *fanout) leave(topic string, out chan string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.feeds[topic]
	if !ok {
		return
	}
	if _, ok := fd.subs[out]; !ok {
		return
	}
	delete(fd.subs, out)
	close(out)
	if len(fd.subs) == 0 {
		fd.cancel()
		delete(f.feeds, topic)
	}
}

// deliver hands msg to every subscriber of topic without ever blocking the
// feed: a full channel is drained and given a resync ("") instead.
func (f *fanout) deliver(topic, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.feeds[topic]
	if !ok {
		return
	}
	for out := range fd.subs {
		select {
		case out <- msg:
			continue
		default:
		}
		for drained := false; !drained; { // too far behind: resync
			select {
			case <-out:
			default:
				drained = true
			}
		}
		out <- ""
	}
}

// openFeed subscribes to topic in Redis and returns once the subscription
// is confirmed; deliver receives its messages until the returned cancel is
// called.
func (s *Store) openFeed(topic string, deliver func(string)) (context.CancelFunc, error) {
	ctx, cancel := context.WithCancel(context.Background())
	ps := s.rdb.Subscribe(ctx, s.k.topic(topic))
	// The confirmation: from here on, publications reach us.
	if _, err := ps.Receive(ctx); err != nil {
		cancel()
		_ = ps.Close()
		return nil, fmt.Errorf("subscribe to %s: %w", topic, err)
	}
	// The receiver ends when the feed is cancelled: closing ps unblocks
	// its read.
	go func() {
		defer func() { _ = ps.Close() }() // closing twice is harmless
		stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
		defer stop()
		receive(ctx, ps, deliver)
	}()
	return cancel, nil
}
