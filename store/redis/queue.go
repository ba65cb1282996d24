package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Enqueue puts e at the back of its pool unless it is already queued, and
// publishes the backend on store.TopicQueue when it was added.
func (s *Store) Enqueue(ctx context.Context, e store.QueueEntry) error {
	b := s.k.queue(e.Backend)
	err := enqueueScript.Run(ctx, s.rdb, []string{b + "seq"},
		b, e.Key.String(), e.Pool, s.k.topic(store.TopicQueue), e.Backend).Err()
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", e.Key, err)
	}
	return nil
}

// Claim gives holder up to n waiting entries of backend, oldest first,
// within lim, in one script.
func (s *Store) Claim(ctx context.Context, backend, holder string, n int, lim store.QueueLimits, ttl time.Duration) ([]store.QueueEntry, error) {
	if n <= 0 {
		return nil, nil
	}
	b := s.k.queue(backend)
	res, err := claimScript.Run(ctx, s.rdb, []string{b + "seq"},
		b, holder, n, lim.Pool, lim.Backend, max(ttl.Milliseconds(), 1)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim starts of %s: %w", backend, err)
	}
	out := make([]store.QueueEntry, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		key, ok := store.ParseKey(res[i+1])
		if !ok {
			return nil, fmt.Errorf("claim starts of %s: bad key %q in the queue", backend, res[i+1])
		}
		out = append(out, store.QueueEntry{Key: key, Backend: backend, Pool: res[i]})
	}
	return out, nil
}

// Renew extends holder's claims on keys and returns the keys it lost.
func (s *Store) Renew(ctx context.Context, backend, holder string, keys []store.Key, ttl time.Duration) ([]store.Key, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	b := s.k.queue(backend)
	args := []any{b, holder, max(ttl.Milliseconds(), 1)}
	for _, k := range keys {
		args = append(args, k.String())
	}
	res, err := renewScript.Run(ctx, s.rdb, []string{b + "seq"}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("renew start claims of %s: %w", backend, err)
	}
	lost := make([]store.Key, 0, len(res))
	for _, r := range res {
		if k, ok := store.ParseKey(r); ok {
			lost = append(lost, k)
		}
	}
	return lost, nil
}

// Release hands holder's claim on key back to its place.
func (s *Store) Release(ctx context.Context, backend, holder string, key store.Key) error {
	b := s.k.queue(backend)
	err := releaseScript.Run(ctx, s.rdb, []string{b + "seq"},
		b, holder, key.String(), s.k.topic(store.TopicQueue), backend).Err()
	if err != nil {
		return fmt.Errorf("release start claim of %s: %w", key, err)
	}
	return nil
}

// Finish removes key from the queue, counting took in its pool's mean.
func (s *Store) Finish(ctx context.Context, backend string, key store.Key, took time.Duration) error {
	b := s.k.queue(backend)
	err := finishScript.Run(ctx, s.rdb, []string{b + "seq"},
		b, key.String(), max(took.Milliseconds(), 0), s.k.topic(store.TopicQueue), backend).Err()
	if err != nil {
		return fmt.Errorf("finish start of %s: %w", key, err)
	}
	return nil
}

// Place says where key is in its pool.
func (s *Store) Place(ctx context.Context, backend string, key store.Key) (store.QueuePlace, error) {
	b := s.k.queue(backend)
	res, err := placeScript.Run(ctx, s.rdb, []string{b + "seq"}, b, key.String()).Slice()
	if err != nil {
		return store.QueuePlace{}, fmt.Errorf("queue place of %s: %w", key, translate(err))
	}
	if len(res) != 4 {
		return store.QueuePlace{}, fmt.Errorf("queue place of %s: %d values, want 4", key, len(res))
	}
	pool, _ := res[0].(string)
	pos, _ := res[1].(int64)
	inFlight, _ := res[2].(int64)
	avg, err := meanStart(res[3])
	if err != nil {
		return store.QueuePlace{}, fmt.Errorf("queue place of %s: %w", key, err)
	}
	return store.QueuePlace{Pool: pool, Position: int(pos), Claimed: pos == 0, InFlight: int(inFlight), AvgStart: avg}, nil
}

// View reads the whole queue of backend in one script.
func (s *Store) View(ctx context.Context, backend string) (store.QueueView, error) {
	b := s.k.queue(backend)
	res, err := viewScript.Run(ctx, s.rdb, []string{b + "seq"}, b).Slice()
	if err != nil {
		return store.QueueView{}, fmt.Errorf("queue of %s: %w", backend, translate(err))
	}
	if len(res)%4 != 0 {
		return store.QueueView{}, fmt.Errorf("queue of %s: %d values, want pools of 4", backend, len(res))
	}
	pools := make([]store.PoolQueue, 0, len(res)/4)
	for i := 0; i < len(res); i += 4 {
		pool, _ := res[i].(string)
		avg, err := meanStart(res[i+3])
		if err != nil {
			return store.QueueView{}, fmt.Errorf("queue of %s: %w", backend, err)
		}
		pools = append(pools, store.PoolQueue{Pool: pool, Waiting: parseKeys(res[i+1]), Claimed: parseKeys(res[i+2]), AvgStart: avg})
	}
	return store.NewQueueView(pools), nil
}

// parseKeys reads a script's list of Key.String().
func parseKeys(v any) []store.Key {
	list, _ := v.([]any)
	keys := make([]store.Key, 0, len(list))
	for _, r := range list {
		if s, ok := r.(string); ok {
			if k, ok := store.ParseKey(s); ok {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// meanStart reads a pool's mean start time, kept in milliseconds.
func meanStart(v any) (time.Duration, error) {
	mean, _ := v.(string)
	ms, err := strconv.ParseFloat(mean, 64)
	if err != nil {
		return 0, fmt.Errorf("mean start time %q: %w", mean, err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}
