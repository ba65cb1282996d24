package store

import (
	"context"
	"time"
)

// TopicQueue carries "the start queue changed" (message: the backend's
// name): a server was queued or a start slot was freed, so replicas with
// free slots should claim.
const TopicQueue = "queue"

// QueueEntry is one server waiting to start, or starting, in a capacity
// pool. All the pools of one backend form one queue: first in first out
// across them, within each pool's limit and the backend's.
type QueueEntry struct {
	Key     Key
	Backend string // the backend's name, e.g. "kubernetes"
	Pool    string // the capacity pool inside it: image and GPU, e.g. "jupyter/gpu"
}

// QueueLimits bounds the starts in flight; 0 is no limit.
type QueueLimits struct {
	Pool    int // in each pool
	Backend int // across the backend's pools
}

// QueuePlace is where a server is in the queue, derived when read: nothing
// is written to the waiting entries when the queue moves.
type QueuePlace struct {
	Pool     string
	Position int           // 1 for the next of its pool to start; 0 when claimed
	Claimed  bool          // a replica is starting it
	InFlight int           // starts in flight in its pool
	AvgStart time.Duration // mean time of its pool's recent starts; 0 when none is known
}

// QueueStore is the start queue every replica shares. A replica claims
// entries to start them and renews its claims while it works; a claim not
// renewed within its ttl (the replica died) goes back to its place at the
// head of its pool, so a queued start survives the death of any replica,
// and exactly one replica holds an entry at a time.
type QueueStore interface {
	// Enqueue puts e at the back of its pool. An entry already queued or
	// claimed keeps its place. It publishes e.Backend on TopicQueue.
	Enqueue(ctx context.Context, e QueueEntry) error
	// Claim gives holder up to n waiting entries of backend, oldest first
	// across its pools, while the starts in flight stay within lim, each
	// claimed for ttl. Expired claims go back to their place first.
	Claim(ctx context.Context, backend, holder string, n int, lim QueueLimits, ttl time.Duration) ([]QueueEntry, error)
	// Renew extends holder's claims on keys by ttl and returns the keys it
	// no longer holds (expired and claimed again, or finished).
	Renew(ctx context.Context, backend, holder string, keys []Key, ttl time.Duration) ([]Key, error)
	// Release hands holder's claim on key back to its place in the queue
	// (a start interrupted by a drain), and publishes on TopicQueue.
	Release(ctx context.Context, backend, holder string, key Key) error
	// Finish removes key from the queue, waiting or claimed; when took > 0
	// it counts in its pool's mean start time. It publishes on TopicQueue.
	// Finishing a key not in the queue does nothing.
	Finish(ctx context.Context, backend string, key Key, took time.Duration) error
	// Place says where key is; ErrNotFound if it is not in the queue.
	Place(ctx context.Context, backend string, key Key) (QueuePlace, error)
	// View reads backend's whole queue at once, the places of all its
	// entries with one read (expired claims go back to their place first).
	View(ctx context.Context, backend string) (QueueView, error)
}

// PoolQueue is one capacity pool of a queue as View reads it.
type PoolQueue struct {
	Pool     string
	Waiting  []Key // in the order they start
	Claimed  []Key // being started, in no order
	AvgStart time.Duration
}

// QueueView is a backend's queue at one moment: where every entry is.
type QueueView struct {
	places map[Key]QueuePlace
}

// NewQueueView indexes the pools of a queue.
func NewQueueView(pools []PoolQueue) QueueView {
	v := QueueView{places: map[Key]QueuePlace{}}
	for _, p := range pools {
		for i, k := range p.Waiting {
			v.places[k] = QueuePlace{Pool: p.Pool, Position: i + 1, InFlight: len(p.Claimed), AvgStart: p.AvgStart}
		}
		for _, k := range p.Claimed {
			v.places[k] = QueuePlace{Pool: p.Pool, Claimed: true, InFlight: len(p.Claimed), AvgStart: p.AvgStart}
		}
	}
	return v
}

// Place is where key was, as Place would have said; false when it was not
// in the queue.
func (v QueueView) Place(key Key) (QueuePlace, bool) {
	p, ok := v.places[key]
	return p, ok
}

// Len is the number of entries, waiting or claimed.
func (v QueueView) Len() int { return len(v.places) }
