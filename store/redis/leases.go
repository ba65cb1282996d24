package redis

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes the lease for ttl if it is free, renews it if holder
// has it, and reports false if another holder has it. Redis expires it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := acquireLease.Run(ctx, s.rdb, []string{s.k.lease(name)},
		holder, max(ttl.Milliseconds(), 1)).Int64()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease frees the lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := releaseLease.Run(ctx, s.rdb, []string{s.k.lease(name)}, holder).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
