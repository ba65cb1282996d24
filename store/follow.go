package store

import (
	"context"
	"log/slog"
	"time"
)

// Subscriber delivers the messages of a topic (PubSub.Subscribe).
type Subscriber interface {
	Subscribe(ctx context.Context, topic string) (<-chan string, error)
}

// FollowOptions tunes Follow; the zero value is the production policy.
type FollowOptions struct {
	// Logger warns of each interruption (default: discard).
	Logger *slog.Logger
	// OnBreak is called when a subscription fails or ends: until the
	// next "", the follower hears nothing (the route cache turns itself
	// off).
	OnBreak func()
	// After replaces time.After for the pauses between subscriptions
	// (tests).
	After func(time.Duration) <-chan time.Time
}

// The pause between two subscriptions starts at followMinWait and doubles
// up to followMaxWait; a subscription that succeeds starts it over.
const (
	followMinWait = 100 * time.Millisecond
	followMaxWait = 5 * time.Second
)

// Follow delivers the messages of topic to handle until ctx is done, and
// is how every part of a replica follows a topic. It subscribes again,
// after a pause, whenever subscribing fails or the subscription ends: a
// store that is down delays invalidations but never stops the replica.
// handle sees "" after each successful subscription (the first one too)
// and whenever the store reports lost messages: everything may have
// changed, drop what was cached. handle runs on Follow's goroutine, one
// message at a time. Follow returns when ctx is done.
func Follow(ctx context.Context, sub Subscriber, topic string, handle func(msg string), o FollowOptions) {
	log, after := o.Logger, o.After
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if after == nil {
		after = time.After
	}
	wait := followMinWait
	for {
		msgs, err := sub.Subscribe(ctx, topic)
		if err == nil {
			wait = followMinWait
			handle("")
			deliver(ctx, msgs, handle)
		}
		if o.OnBreak != nil {
			o.OnBreak()
		}
		if ctx.Err() != nil {
			return
		}
		log.WarnContext(ctx, "subscription interrupted; resubscribing", "topic", topic, "err", err, "in", wait)
		select {
		case <-after(wait):
		case <-ctx.Done():
			return
		}
		wait = min(2*wait, followMaxWait)
	}
}

// deliver handles messages until the channel closes or ctx is done.
func deliver(ctx context.Context, msgs <-chan string, handle func(string)) {
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
