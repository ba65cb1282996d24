package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// PutCode keeps value under code until ttl has passed or it is taken.
func (s *Store) PutCode(ctx context.Context, code, value string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.k.code(code), value, max(ttl, time.Millisecond)).Err(); err != nil {
		return fmt.Errorf("put code: %w", err)
	}
	return nil
}

// TakeCode returns the value of code once (GETDEL: two replicas racing for
// one code never both get it).
func (s *Store) TakeCode(ctx context.Context, code string) (string, error) {
	v, err := s.rdb.GetDel(ctx, s.k.code(code)).Result()
	if errors.Is(err, goredis.Nil) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("take code: %w", err)
	}
	return v, nil
}
