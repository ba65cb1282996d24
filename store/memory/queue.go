package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// queue is one backend's start queue: the same layout as in Redis.
type queue struct {
	seq     int64
	entries map[store.Key]*queued
	stats   map[string]poolStats
}

// queued is one entry: its place, and its claim while one is held.
type queued struct {
	pool   string
	seq    int64     // its place: lower starts first
	holder string    // empty while waiting
	until  time.Time // end of the claim
}

// poolStats is the running mean of a pool's start times.
type poolStats struct {
	mean time.Duration
	n    int64
}

// maxStatsSamples caps the weight of history in a pool's mean start time,
// so that it follows a change of the backend's speed.
const maxStatsSamples = 20

func (st *state) queueOf(backend string) *queue {
	q := st.queues[backend]
	if q == nil {
		q = &queue{entries: map[store.Key]*queued{}, stats: map[string]poolStats{}}
		st.queues[backend] = q
	}
	return q
}

// Enqueue puts e at the back of its pool unless it is already queued.
func (s *Store) Enqueue(_ context.Context, e store.QueueEntry) error {
	st := s.st
	st.mu.Lock()
	q := st.queueOf(e.Backend)
	if _, ok := q.entries[e.Key]; !ok {
		q.seq++
		q.entries[e.Key] = &queued{pool: e.Pool, seq: q.seq}
	}
	st.mu.Unlock()
	st.hub.publish(store.TopicQueue, e.Backend)
	return nil
}

// Claim gives holder up to n waiting entries, oldest first, within lim.
func (s *Store) Claim(_ context.Context, backend, holder string, n int, lim store.QueueLimits, ttl time.Duration) ([]store.QueueEntry, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.queueOf(backend)
	q.expire(now)
	running, perPool := q.inFlight()
	var out []store.QueueEntry
	for len(out) < n && (lim.Backend == 0 || running < lim.Backend) {
		key, e := q.oldestWaiting(func(pool string) bool { return lim.Pool == 0 || perPool[pool] < lim.Pool })
		if e == nil {
			break
		}
		e.holder, e.until = holder, now.Add(ttl)
		running++
		perPool[e.pool]++
		out = append(out, store.QueueEntry{Key: key, Backend: backend, Pool: e.pool})
	}
	return out, nil
}

// expire puts the claims that ended before now back in their place.
func (q *queue) expire(now time.Time) {
	for _, e := range q.entries {
		if e.holder != "" && !now.Before(e.until) {
			e.holder = ""
		}
	}
}

// inFlight counts the claimed entries, in all and per pool.
func (q *queue) inFlight() (int, map[string]int) {
	n, per := 0, map[string]int{}
	for _, e := range q.entries {
		if e.holder != "" {
			n++
			per[e.pool]++
		}
	}
	return n, per
}

// oldestWaiting is the waiting entry with the lowest place among the pools
// open says may start one more.
func (q *queue) oldestWaiting(open func(pool string) bool) (store.Key, *queued) {
	var key store.Key
	var best *queued
	for k, e := range q.entries {
		if e.holder == "" && open(e.pool) && (best == nil || e.seq < best.seq) {
			key, best = k, e
		}
	}
	return key, best
}

// Renew extends holder's claims and returns the keys it no longer holds.
func (s *Store) Renew(_ context.Context, backend, holder string, keys []store.Key, ttl time.Duration) ([]store.Key, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.queueOf(backend)
	var lost []store.Key
	for _, k := range keys {
		e, ok := q.entries[k]
		if !ok || e.holder != holder || !now.Before(e.until) {
			lost = append(lost, k)
			continue
		}
		e.until = now.Add(ttl)
	}
	return lost, nil
}

// Release hands holder's claim on key back to its place.
func (s *Store) Release(_ context.Context, backend, holder string, key store.Key) error {
	st := s.st
	st.mu.Lock()
	if e, ok := st.queueOf(backend).entries[key]; ok && e.holder == holder {
		e.holder = ""
	}
	st.mu.Unlock()
	st.hub.publish(store.TopicQueue, backend)
	return nil
}

// Finish removes key from the queue and counts took in its pool's mean.
func (s *Store) Finish(_ context.Context, backend string, key store.Key, took time.Duration) error {
	st := s.st
	st.mu.Lock()
	q := st.queueOf(backend)
	if e, ok := q.entries[key]; ok {
		delete(q.entries, key)
		if took > 0 {
			q.stats[e.pool] = q.stats[e.pool].add(took)
		}
	}
	st.mu.Unlock()
	st.hub.publish(store.TopicQueue, backend)
	return nil
}

func (p poolStats) add(took time.Duration) poolStats {
	p.n = min(p.n+1, maxStatsSamples)
	p.mean += (took - p.mean) / time.Duration(p.n)
	return p
}

// Place says where key is in its pool.
func (s *Store) Place(_ context.Context, backend string, key store.Key) (store.QueuePlace, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.queueOf(backend)
	q.expire(now)
	e, ok := q.entries[key]
	if !ok {
		return store.QueuePlace{}, fmt.Errorf("queue place of %s: %w", key, store.ErrNotFound)
	}
	p := store.QueuePlace{Pool: e.pool, Claimed: e.holder != "", AvgStart: q.stats[e.pool].mean}
	for _, o := range q.entries {
		switch {
		case o.pool != e.pool:
		case o.holder != "":
			p.InFlight++
		case !p.Claimed && o.seq <= e.seq:
			p.Position++
		}
	}
	return p, nil
}

// View reads the whole queue of backend.
func (s *Store) View(_ context.Context, backend string) (store.QueueView, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.queueOf(backend)
	q.expire(now)
	pools := map[string]*store.PoolQueue{}
	keys := slices.Collect(maps.Keys(q.entries))
	slices.SortFunc(keys, func(a, b store.Key) int { return cmp.Compare(q.entries[a].seq, q.entries[b].seq) })
	for _, k := range keys {
		e := q.entries[k]
		p := pools[e.pool]
		if p == nil {
			p = &store.PoolQueue{Pool: e.pool, AvgStart: q.stats[e.pool].mean}
			pools[e.pool] = p
		}
		if e.holder != "" {
			p.Claimed = append(p.Claimed, k)
		} else {
			p.Waiting = append(p.Waiting, k)
		}
	}
	list := make([]store.PoolQueue, 0, len(pools))
	for _, p := range pools {
		list = append(list, *p)
	}
	return store.NewQueueView(list), nil
}
