package web

import (
	"context"
	"fmt"
	"time"
)

// leaseTTL bounds how long a replica that dies holding a lease keeps
// others waiting; leaseRetry is how long to wait before asking again.
const (
	leaseTTL   = 15 * time.Second
	leaseRetry = 20 * time.Millisecond
)

// withLease runs fn holding the store lease name, so that a check and the
// write it allows (a count under a limit, then a create) happen on one
// replica at a time. It is the spawner's namespace lock, for what the web
// layer writes itself.
func (w *Web) withLease(ctx context.Context, name string, fn func() error) error {
	holder := "web:" + randomString(12)
	for {
		ok, err := w.store.AcquireLease(ctx, name, holder, leaseTTL)
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
		if err := w.store.ReleaseLease(context.WithoutCancel(ctx), name, holder); err != nil {
			w.log.Warn("release lease", "lease", name, "err", err) // it expires anyway
		}
	}()
	return fn()
}
