package spawner

import (
	"context"
	"errors"
	"fmt"

	"github.com/spawnhub/spawnhub/store"
)

// Stop stops a server and returns it Stopped; its spec and volumes are kept.
// It blocks until the backend has stopped it (at most StopTimeout), even if
// ctx is cancelled meanwhile. A Queued server leaves the queue; a Starting
// one has its start cancelled. Stopping a Stopped server does nothing, and a
// server another request is already stopping is returned as is (Stopping).
func (m *Manager) Stop(ctx context.Context, ns, name string) (store.Server, error) {
	for range casAttempts {
		srv, err := m.record(ctx, ns, name)
		if err != nil {
			return store.Server{}, err
		}
		switch srv.Phase {
		case store.PhaseStopped, store.PhaseStopping:
			return srv, nil
		case store.PhaseQueued:
			srv, err = m.unqueue(ctx, srv)
		default:
			srv.Phase, srv.Owner = store.PhaseStopping, m.owner
			sayStopping.on(&srv)
			srv, err = m.update(ctx, srv)
			if err == nil {
				m.say(ctx, srv.Key(), store.EventNormal, "Stopping", sayStopping)
				return m.finishStop(srv)
			}
		}
		if !errors.Is(err, store.ErrConflict) {
			return srv, err
		}
	}
	return store.Server{}, fmt.Errorf("stop %s/%s: too many concurrent changes: %w", ns, name, store.ErrConflict)
}

// unqueue stops a server that has not started yet.
func (m *Manager) unqueue(ctx context.Context, srv store.Server) (store.Server, error) {
	srv.Phase, srv.Owner = store.PhaseStopped, ""
	Said{}.on(&srv)
	srv, err := m.update(ctx, srv)
	if err != nil {
		return store.Server{}, err
	}
	m.queue.cancel(ctx, srv.Key())
	m.say(ctx, srv.Key(), store.EventNormal, "Stopped", sayUnqueued)
	return srv, nil
}

// finishStop takes a Stopping record to Stopped: it cancels a start in
// progress here, removes the route and stops the instance. If the backend
// fails, the record stays Stopping and Reconcile tries again.
func (m *Manager) finishStop(srv store.Server) (store.Server, error) {
	key := srv.Key()
	if !m.beginStop(key) {
		return srv, nil // another goroutine of this replica is on it
	}
	defer m.endStop(key)
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StopTimeout)
	defer cancel()
	if done := m.queue.cancel(ctx, key); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	if err := m.st.DeleteRoute(ctx, key); err != nil {
		return srv, fmt.Errorf("stop %s: delete route: %w", key, err)
	}
	if err := m.b.Stop(ctx, srv); err != nil {
		m.say(ctx, key, store.EventWarning, "StopFailed", reasonOf(err))
		return srv, fmt.Errorf("stop %s: %w", key, err)
	}
	srv.Phase, srv.Owner, srv.Instance, srv.StoppedAt = store.PhaseStopped, "", "", m.now()
	Said{}.on(&srv)
	srv, err := m.update(ctx, srv)
	if err != nil {
		return store.Server{}, err
	}
	if err := m.st.ClearActivity(ctx, key); err != nil {
		m.log.Warn("activity not cleared", "server", key.String(), "err", err)
	}
	m.say(ctx, key, store.EventNormal, "Stopped", sayStopped)
	m.log.Info("server stopped", "server", key.String())
	return srv, nil
}

func (m *Manager) beginStop(key store.Key) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping[key] {
		return false
	}
	m.stopping[key] = true
	return true
}

func (m *Manager) endStop(key store.Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.stopping, key)
}

func (m *Manager) isStopping(key store.Key) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopping[key]
}

// Delete stops the server if needed and removes its record and events.
// With deleteVolumes, the volumes created with the server go too (unless
// another running server mounts one), and a backend that keeps more (a
// VolumeDeleter) deletes that. A server another request is stopping is a
// store.ErrConflict.
func (m *Manager) Delete(ctx context.Context, ns, name string, deleteVolumes bool) error {
	srv, err := m.Stop(ctx, ns, name)
	if err != nil {
		return err
	}
	if srv.Phase != store.PhaseStopped {
		return fmt.Errorf("delete %s: it is %s: %w", srv.Key(), srv.Phase, store.ErrConflict)
	}
	if err := m.st.DeleteServer(ctx, ns, name, srv.Version); err != nil {
		return fmt.Errorf("delete server %s: %w", srv.Key(), err)
	}
	m.log.Info("server deleted", "server", srv.Key().String(), "volumes", deleteVolumes)
	if !deleteVolumes {
		return nil
	}
	if err := m.deleteOwnVolumes(ctx, srv); err != nil {
		return err
	}
	if m.volDeleter != nil {
		if err := m.volDeleter.DeleteVolumes(ctx, srv); err != nil {
			return fmt.Errorf("delete volumes of %s: %w", srv.Key(), err)
		}
	}
	return nil
}
