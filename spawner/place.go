package spawner

import (
	"context"
	"errors"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// poolOf is the capacity pool of a spec in its backend's queue: its image
// (custom images share one pool) and whether it needs GPUs, of which
// vendor when the cluster has several ("jupyter/gpu-amd").
func poolOf(spec store.Spec) string {
	pool := spec.Image
	if spec.CustomImage != "" || pool == "" {
		pool = "custom"
	}
	if spec.GPUs > 0 && spec.GPUVendor != "" {
		return pool + "/gpu-" + spec.GPUVendor
	}
	if spec.GPUs > 0 {
		return pool + "/gpu"
	}
	return pool + "/cpu"
}

func (m *Manager) entryOf(srv store.Server) store.QueueEntry {
	return store.QueueEntry{Key: srv.Key(), Backend: m.backend, Pool: poolOf(srv.Spec)}
}

// enqueue queues srv's start for every replica. A failure is only logged:
// the record is Queued, and Reconcile queues it again.
func (m *Manager) enqueue(ctx context.Context, srv store.Server) {
	if err := m.queue.add(ctx, m.entryOf(srv)); err != nil {
		m.log.Warn("start not queued yet; reconcile queues it", "server", srv.Key().String(), "err", err)
	}
}

// withPlace shows a Queued server's place in the queue in its message,
// derived from the queue as it is now (nothing is written when the queue
// moves): "waiting for 3 servers ahead (about 1m0s)".
func (m *Manager) withPlace(ctx context.Context, srv store.Server) store.Server {
	if srv.Phase != store.PhaseQueued {
		return srv
	}
	p, err := m.st.Place(ctx, m.backend, srv.Key())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return srv
	case err != nil:
		m.log.Warn("queue place not read", "server", srv.Key().String(), "err", err)
		return srv
	}
	return placed(srv, p)
}

// placed is srv with its place p in its message.
func placed(srv store.Server, p store.QueuePlace) store.Server {
	if p.Claimed {
		sayStartingSoon.on(&srv)
		return srv
	}
	sayPosition(p.Position, estimatedWait(p)).on(&srv)
	return srv
}

// estimatedWait is the time for the starts ahead, at the pace the pool
// starts servers now: ceil(position / in flight) rounds of its mean start.
func estimatedWait(p store.QueuePlace) time.Duration {
	if p.AvgStart <= 0 || p.Position <= 0 {
		return 0
	}
	par := max(p.InFlight, 1)
	rounds := (p.Position + par - 1) / par
	return (time.Duration(rounds) * p.AvgStart).Round(time.Second)
}
