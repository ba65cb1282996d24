package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// leaseTTL bounds how long a replica that dies holding a lease keeps
// others waiting; leaseRetry is how long to wait before asking again.
const (
	leaseTTL   = 15 * time.Second
	leaseRetry = 20 * time.Millisecond
)

// withLease runs fn holding the store lease name, so that a check and the
// write it allows (a count under a limit, then a create) happen on one
// replica at a time.
func withLease(ctx context.Context, st store.LeaseStore, log *slog.Logger, name string, fn func() error) error {
	holder := "auth:" + randomLower(12)
	for {
		ok, err := st.AcquireLease(ctx, name, holder, leaseTTL)
		if err != nil {
			return fmt.Errorf("lock %s: %w", name, err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lock %s: %w", name, ctx.Err())
		case <-time.After(leaseRetry):
		}
	}
	defer func() {
		if err := st.ReleaseLease(context.WithoutCancel(ctx), name, holder); err != nil {
			log.Warn("release lease", "lease", name, "err", err) // it expires anyway
		}
	}()
	return fn()
}
