package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// pingEvery is how long a subscription may stay silent before it pings
// Redis, so that a dead connection is noticed and replaced.
const pingEvery = 30 * time.Second

// Backoff between attempts to receive while Redis is unreachable.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Publish sends msg to every replica subscribed to topic.
func (s *Store) Publish(ctx context.Context, topic, msg string) error {
	if err := s.rdb.Publish(ctx, s.k.topic(topic), msg).Err(); err != nil {
		return fmt.Errorf("publish on %s: %w", topic, err)
	}
	return nil
}

// receive hands ps's messages to deliver until ctx is done.
func receive(ctx context.Context, ps *goredis.PubSub, deliver func(string)) {
	backoff := minBackoff
	for {
		m, err := ps.ReceiveTimeout(ctx, pingEvery)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			backoff = retry(ctx, ps, err, backoff)
			continue
		}
		backoff = minBackoff
		msg, ok := payload(m)
		if !ok {
			continue
		}
		deliver(msg)
	}
}

// payload returns what a received item means to subscribers: a message's
// payload, or "" for a (re)subscription confirmed after a reconnect.
// Pongs mean nothing.
func payload(m any) (string, bool) {
	switch m := m.(type) {
	case *goredis.Message:
		return m.Payload, true
	case *goredis.Subscription:
		return "", m.Kind == "subscribe"
	}
	return "", false
}

// retry handles a failed receive: a silent connection is pinged (go-redis
// replaces it if the ping fails); after any other error it waits before the
// next attempt, which reconnects. It returns the next backoff.
func retry(ctx context.Context, ps *goredis.PubSub, err error, backoff time.Duration) time.Duration {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		_ = ps.Ping(ctx) // the pong, or the error, comes through Receive
		return minBackoff
	}
	t := time.NewTimer(backoff)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return min(2*backoff, maxBackoff)
}
