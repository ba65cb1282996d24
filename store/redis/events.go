package redis

import (
	"context"
	"encoding/json"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// AppendEvent adds e to the events of key and trims them to the last
// store.MaxEvents, in one transaction.
func (s *Store) AppendEvent(ctx context.Context, key store.Key, e store.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event of %s: %w", key, err)
	}
	k := s.k.events(key)
	_, err = s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.RPush(ctx, k, b)
		p.LTrim(ctx, k, -store.MaxEvents, -1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("append event of %s: %w", key, err)
	}
	return nil
}

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
