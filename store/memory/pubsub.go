package memory

import (
	"context"
	"sync"
)

// maxQueue is how many messages a subscriber may fall behind before they
// are replaced by one resync message ("").
const maxQueue = 1024

// hub fans messages out to the subscribers of each topic. Publishing never
// blocks: each subscriber has its own queue and forwarding goroutine.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{}
}

// subscriber is one Subscribe call's queue.
type subscriber struct {
	mu    sync.Mutex
	queue []string
	wake  chan struct{} // capacity 1: "the queue has something"
}

// Publish delivers msg to every subscriber of topic, in every handle.
func (s *Store) Publish(_ context.Context, topic, msg string) error {
	s.st.hub.publish(topic, msg)
	return nil
}

// Subscribe delivers the messages published on topic after it returns, until
// ctx is done; then it closes the channel. A subscriber that falls more than
// maxQueue messages behind gets one "" instead of them: drop every cache.
func (s *Store) Subscribe(ctx context.Context, topic string) (<-chan string, error) {
	sub := &subscriber{wake: make(chan struct{}, 1)}
	h := &s.st.hub
	h.mu.Lock()
	if h.subs[topic] == nil {
		h.subs[topic] = map[*subscriber]struct{}{}
	}
	h.subs[topic][sub] = struct{}{}
	h.mu.Unlock()

	out := make(chan string, 16)
	// The forwarder ends when ctx is done, after leaving the hub.
	go func() {
		defer close(out)
		defer h.remove(topic, sub)
		sub.forward(ctx, out)
	}()
	return out, nil
}

func (h *hub) publish(topic, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[topic] {
		sub.push(msg)
	}
}

func (h *hub) remove(topic string, sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[topic], sub)
	if len(h.subs[topic]) == 0 {
		delete(h.subs, topic)
	}
}

// push queues msg without blocking.
func (sub *subscriber) push(msg string) {
	sub.mu.Lock()
	if len(sub.queue) >= maxQueue {
		sub.queue = append(sub.queue[:0], "") // too far behind: resync
	} else {
		sub.queue = append(sub.queue, msg)
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default: // already woken
	}
}

// take empties the queue.
func (sub *subscriber) take() []string {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	q := sub.queue
	sub.queue = nil
	return q
}

// forward moves queued messages to out until ctx is done.
func (sub *subscriber) forward(ctx context.Context, out chan<- string) {
	for {
		select {
		case <-sub.wake:
		case <-ctx.Done():
			return
		}
		for _, msg := range sub.take() {
			select {
			case out <- msg:
			case <-ctx.Done():
				return
			}
		}
	}
}
