package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// recordSource keeps, per server, the time and source of its newest mark
// ("<ms> <source>"), ignoring older ones. KEYS source hash; ARGV triples
// member ms source.
var recordSource = goredis.NewScript(`
for i = 1, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local ms = tonumber(ARGV[i+1])
  if not cur or tonumber(string.match(cur, '^%d+')) < ms then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1] .. ' ' .. ARGV[i+2])
  end
end
return 1`)

// RecordActivity records the marks in the activity set (ZADD GT) and their
// sources in a hash, in one pipeline. Each command touches one key, so it
// runs on a Redis Cluster too.
func (s *Store) RecordActivity(ctx context.Context, marks map[store.Key]store.Mark) error {
	if len(marks) == 0 {
		return nil
	}
	members := make([]goredis.Z, 0, len(marks))
	args := make([]any, 0, 3*len(marks))
	for key, m := range marks {
		ms := m.At.UnixMilli()
		members = append(members, goredis.Z{Score: float64(ms), Member: key.String()})
		args = append(args, key.String(), ms, m.Source)
	}
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.ZAddArgs(ctx, s.k.activity(), goredis.ZAddArgs{GT: true, Members: members})
		recordSource.Eval(ctx, p, []string{s.k.activitySource()}, args...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record activity of %d servers: %w", len(marks), err)
	}
	return nil
}

// Activities returns the last activity and source of each of keys that has
// one, in one pipeline (ZMSCORE and HMGET).
func (s *Store) Activities(ctx context.Context, keys []store.Key) (map[store.Key]store.Activity, error) {
	out := make(map[store.Key]store.Activity, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	members := make([]string, len(keys))
	for i, key := range keys {
		members[i] = key.String()
	}
	var scores *goredis.FloatSliceCmd
	var sources *goredis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		scores = p.ZMScore(ctx, s.k.activity(), members...)
		sources = p.HMGet(ctx, s.k.activitySource(), members...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("activity of %d servers: %w", len(keys), err)
	}
	for i, score := range scores.Val() {
		if score == 0 { // go-redis reports a missing member as 0
			continue
		}
		a := store.Activity{Key: keys[i], Last: time.UnixMilli(int64(score))}
		if v, ok := sources.Val()[i].(string); ok {
			a.Source = sourceAt(v, int64(score))
		}
		out[keys[i]] = a
	}
	return out, nil
}

// sourceAt is the source in "<ms> <source>" if it is the source of the
// activity at ms (a plain MarkActivity may have come later, without one).
func sourceAt(v string, ms int64) string {
	at, src, _ := strings.Cut(v, " ")
	if n, err := strconv.ParseInt(at, 10, 64); err != nil || n != ms {
		return ""
	}
	return src
}
