package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// MarkActivity records activity times to the millisecond in one ZADD GT: a
// time older than the stored one is ignored.
func (s *Store) MarkActivity(ctx context.Context, marks map[store.Key]time.Time) error {
	if len(marks) == 0 {
		return nil
	}
	members := make([]goredis.Z, 0, len(marks))
	for key, t := range marks {
		members = append(members, goredis.Z{Score: float64(t.UnixMilli()), Member: key.String()})
	}
	err := s.rdb.ZAddArgs(ctx, s.k.activity(), goredis.ZAddArgs{GT: true, Members: members}).Err()
	if err != nil {
		return fmt.Errorf("mark activity of %d servers: %w", len(marks), err)
	}
	return nil
}

// LastActivity returns the last activity time of key.
func (s *Store) LastActivity(ctx context.Context, key store.Key) (time.Time, error) {
	score, err := s.rdb.ZScore(ctx, s.k.activity(), key.String()).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("last activity of %s: %w", key, translate(err))
	}
	return time.UnixMilli(int64(score)), nil
}

// LastActivities returns the last activity of each of keys that has one,
// in one ZMSCORE.
func (s *Store) LastActivities(ctx context.Context, keys []store.Key) (map[store.Key]time.Time, error) {
	out := make(map[store.Key]time.Time, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	members := make([]string, len(keys))
	for i, key := range keys {
		members[i] = key.String()
	}
	scores, err := s.rdb.ZMScore(ctx, s.k.activity(), members...).Result()
	if err != nil {
		return nil, fmt.Errorf("last activity of %d servers: %w", len(keys), err)
	}
	for i, score := range scores {
		if score != 0 { // go-redis reports a missing member as 0
			out[keys[i]] = time.UnixMilli(int64(score))
		}
	}
	return out, nil
}

// IdleSince returns the servers whose last activity is before t, to the
// millisecond, oldest first, in one range query.
func (s *Store) IdleSince(ctx context.Context, t time.Time) ([]store.Activity, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.k.activity(), &goredis.ZRangeBy{
		Min: "-inf",
		Max: "(" + strconv.FormatInt(t.UnixMilli(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("servers idle since %v: %w", t, err)
	}
	idle := make([]store.Activity, 0, len(zs))
	for _, z := range zs {
		member, _ := z.Member.(string)
		key, ok := store.ParseKey(member)
		if !ok {
			return nil, fmt.Errorf("servers idle since %v: bad activity member %q", t, member)
		}
		idle = append(idle, store.Activity{Key: key, Last: time.UnixMilli(int64(z.Score))})
	}
	return idle, nil
}

// ClearActivity forgets the activity of key.
func (s *Store) ClearActivity(ctx context.Context, key store.Key) error {
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.ZRem(ctx, s.k.activity(), key.String())
		p.HDel(ctx, s.k.activitySource(), key.String())
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear activity of %s: %w", key, err)
	}
	return nil
}
