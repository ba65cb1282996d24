package spawner

import (
	"context"
	"fmt"
	"time"
)

// namespaceLockTTL bounds how long a replica that dies holding a
// namespace's lock keeps others waiting.
const namespaceLockTTL = 15 * time.Second

// namespaceLockRetry is how long to wait before asking again for a lock
// someone else holds.
const namespaceLockRetry = 20 * time.Millisecond

// withNamespaceLock runs fn holding the lock of namespace ns, a store
// lease, so that two requests on any replicas never both pass a check
// that the namespace's state decides: the attach check for one volume (two
// Starts), deleting a volume while it is being attached, or a limit (two
// creates that each see room for one more server). Callers pass needed =
// false when fn checks none of these, and then no lock is taken.
func (m *Manager) withNamespaceLock(ctx context.Context, ns string, needed bool, fn func() error) error {
	if !needed {
		return fn()
	}
	// The lease keeps the name it had when it only guarded volumes, so
	// that replicas of both versions exclude each other during an upgrade.
	name, holder := "volumes:"+ns, m.owner+":"+newToken()[:8]
	for {
		ok, err := m.st.AcquireLease(ctx, name, holder, namespaceLockTTL)
		if err != nil {
			return fmt.Errorf("lock namespace %s: %w", ns, err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lock namespace %s: %w", ns, ctx.Err())
		case <-time.After(namespaceLockRetry):
		}
	}
	defer func() {
		if err := m.st.ReleaseLease(context.WithoutCancel(ctx), name, holder); err != nil {
			m.log.Warn("release namespace lock", "ns", ns, "err", err) // it expires anyway
		}
	}()
	return fn()
}
