package spawner

import (
	"context"
	"fmt"
	"time"
)

// volumeLockTTL bounds how long a replica that dies holding a namespace's
// volume lock keeps others waiting.
const volumeLockTTL = 15 * time.Second

// volumeLockRetry is how long to wait before asking again for a lock
// someone else holds.
const volumeLockRetry = 20 * time.Millisecond

// withVolumeLock runs fn holding the volume lock of namespace ns, a store
// lease, so that two requests on any replicas never both pass the attach
// check for one volume (two Starts) or delete a volume while it is being
// attached. Specs without volumes need no lock.
func (m *Manager) withVolumeLock(ctx context.Context, ns string, hasVolumes bool, fn func() error) error {
	if !hasVolumes {
		return fn()
	}
	name, holder := "volumes:"+ns, m.owner+":"+randomSuffix()
	for {
		ok, err := m.st.AcquireLease(ctx, name, holder, volumeLockTTL)
		if err != nil {
			return fmt.Errorf("lock volumes of %s: %w", ns, err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lock volumes of %s: %w", ns, ctx.Err())
		case <-time.After(volumeLockRetry):
		}
	}
	defer func() {
		if err := m.st.ReleaseLease(context.WithoutCancel(ctx), name, holder); err != nil {
			m.log.Warn("release volume lock", "ns", ns, "err", err) // it expires anyway
		}
	}()
	return fn()
}
