package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// RevokeSession remembers id as revoked until until, with a key TTL, and
// publishes it on store.TopicSessions, in one script. A session whose until
// has passed is only announced.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	channel := s.k.topic(store.TopicSessions)
	ttl := time.Until(until).Milliseconds()
	var err error
	if ttl < 1 {
		err = s.rdb.Publish(ctx, channel, id).Err()
	} else {
		err = setPublish.Run(ctx, s.rdb, []string{s.k.revoked(id)}, "1", ttl, channel, id).Err()
	}
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// IsSessionRevoked reports whether id was revoked and its revocation has not
// ended.
func (s *Store) IsSessionRevoked(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.k.revoked(id)).Result()
	if err != nil {
		return false, fmt.Errorf("is session revoked: %w", err)
	}
	return n == 1, nil
}
