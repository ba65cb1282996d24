package redis

import (
	"context"
	"encoding/json"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// AppendEvent adds e to the events of key, trims them to the last
// store.MaxEvents and publishes key on store.TopicServers, in one script.
func (s *Store) AppendEvent(ctx context.Context, key store.Key, e store.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event of %s: %w", key, err)
	}
	err = appendEventScript.Run(ctx, s.rdb, []string{s.k.events(key)},
		b, store.MaxEvents, s.k.topic(store.TopicServers), key.String()).Err()
	if err != nil {
		return fmt.Errorf("append event of %s: %w", key, err)
	}
	return nil
}

// appendEventScript: KEYS events; ARGV event max channel key.
var appendEventScript = goredis.NewScript(`
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`)

// ListEvents returns the events of key, oldest first.
func (s *Store) ListEvents(ctx context.Context, key store.Key) ([]store.Event, error) {
	raw, err := s.rdb.LRange(ctx, s.k.events(key), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", key, err)
	}
	events := make([]store.Event, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &events[i]); err != nil {
			return nil, fmt.Errorf("decode event of %s: %w", key, err)
		}
	}
	return events, nil
}
