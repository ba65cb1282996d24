package spawner

import (
	"context"
	"errors"
	"fmt"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// casAttempts bounds the retries of a transition that lost a
// compare-and-set to another writer.
const casAttempts = 4

// Start queues a Stopped or Failed server and returns it Queued; the start
// itself runs in the background. Start is idempotent: a server already
// Queued, Starting or Running is returned as is, so of two concurrent
// Starts (on any replicas) exactly one queues it and both succeed. A
// Stopping server is a store.ErrConflict. A server whose volume is gone or
// mounted by another running server is refused with a *FieldError
// ("volume.unknown", "volume.mounted"), and so is one more server than the
// namespace may run ("quota.runningServers", ErrLimitReached).
func (m *Manager) Start(ctx context.Context, ns, name string) (store.Server, error) {
	for range casAttempts {
		srv, err := m.record(ctx, ns, name)
		if err != nil {
			return store.Server{}, err
		}
		switch srv.Phase {
		case store.PhaseQueued, store.PhaseStarting, store.PhaseRunning:
			return srv, nil
		case store.PhaseStopping:
			return srv, fmt.Errorf("start %s: it is stopping: %w", srv.Key(), store.ErrConflict)
		}
		// A volume may have been attached elsewhere, or deleted, while
		// this server was stopped, and other servers may have started; the
		// checks and the move to Queued (which mounts the volumes and
		// counts as running) happen under the namespace's lock.
		q := m.quotas.For(ns)
		var queued store.Server
		locked := q.RunningServers > 0 || m.hasVolumes() && len(form.VolumeRefs(srv.Spec)) > 0
		err = m.withNamespaceLock(ctx, ns, locked, func() error {
			list := &serverList{st: m.st, ns: ns}
			if err := m.checkStart(ctx, list, name, q); err != nil {
				return err
			}
			if err := m.checkVolumes(ctx, list, name, srv.Spec, false); err != nil {
				return err
			}
			srv.Phase, srv.Owner, srv.Instance = store.PhaseQueued, m.owner, ""
			sayQueued.on(&srv)
			var err error
			queued, err = m.update(ctx, srv)
			return err
		})
		var fe *form.FieldError
		if errors.Is(err, store.ErrConflict) && !errors.As(err, &fe) {
			continue // the record changed meanwhile: look again
		}
		if err != nil {
			return store.Server{}, err
		}
		m.say(ctx, queued.Key(), store.EventNormal, "Queued", sayQueued)
		m.enqueue(ctx, queued)
		return queued, nil
	}
	return store.Server{}, fmt.Errorf("start %s/%s: too many concurrent changes: %w", ns, name, store.ErrConflict)
}
