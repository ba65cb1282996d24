package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// flakySubscriber fails its first subscriptions, then hands out channels
// the test sends on and closes.
type flakySubscriber struct {
	mu    sync.Mutex
	fails int
	subs  chan chan string
}

func (f *flakySubscriber) Subscribe(_ context.Context, topic string) (<-chan string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return nil, errors.New("store down")
	}
	ch := make(chan string)
	f.subs <- ch
	return ch, nil
}

// TestFollowRetries: failed subscriptions are retried with a doubling
// pause (the follower keeps running), each subscription starts with "",
// and a broken one is followed by a new one, its pause started over.
func TestFollowRetries(t *testing.T) {
	sub := &flakySubscriber{fails: 3, subs: make(chan chan string, 1)}
	var mu sync.Mutex
	var got []string
	var waits []time.Duration
	breaks := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Follow(ctx, sub, store.TopicRoutes, func(msg string) {
			mu.Lock()
			got = append(got, msg)
			mu.Unlock()
		}, store.FollowOptions{
			OnBreak: func() { mu.Lock(); breaks++; mu.Unlock() },
			After: func(d time.Duration) <-chan time.Time {
				mu.Lock()
				waits = append(waits, d)
				mu.Unlock()
				c := make(chan time.Time, 1)
				c <- time.Time{}
				return c
			},
		})
	}()
	first := <-sub.subs
	first <- "alice/lab" // handled once the next send is taken
	first <- "bob/lab"
	close(first) // the subscription breaks
	second := <-sub.subs
	second <- "carol/lab"
	second <- "noop/noop"
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	if want := []string{"", "alice/lab", "bob/lab", "", "carol/lab", "noop/noop"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
	ms := time.Millisecond
	if want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 100 * ms}; !reflect.DeepEqual(waits, want) {
		t.Errorf("pauses %v, want %v", waits, want)
	}
	if breaks != 5 { // three failures, one broken subscription, the end
		t.Errorf("OnBreak called %d times, want 5", breaks)
	}
}

// TestFollowPauseBounded: the pause doubles up to 5s, and Follow returns
// when ctx ends during one.
func TestFollowPauseBounded(t *testing.T) {
	sub := &flakySubscriber{fails: 1 << 30}
	ctx, cancel := context.WithCancel(context.Background())
	var waits []time.Duration
	store.Follow(ctx, sub, store.TopicRoutes, func(string) { t.Error("handled a message without a subscription") }, store.FollowOptions{
		After: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			c := make(chan time.Time, 1)
			if len(waits) < 10 {
				c <- time.Time{}
			} else {
				cancel() // ends during the tenth pause
			}
			return c
		},
	})
	if last := waits[len(waits)-1]; len(waits) != 10 || last != 5*time.Second {
		t.Errorf("%d pauses, the last %v; want 10, the last 5s", len(waits), last)
	}
}
