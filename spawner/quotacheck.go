package spawner

import (
	"context"
	"fmt"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// WithQuotas sets the limits of every namespace (default: none).
func WithQuotas(q form.Quotas) Option { return func(m *Manager) { m.quotas = q } }

// The checks below count what a namespace holds and leave the arithmetic
// to form.Quota. They run under the namespace's lock (withNamespaceLock)
// together with the write they allow, so that replicas racing cannot go
// past a limit together.

// checkCreate applies the limits to a new server that will be queued at
// once: one more server, one more running, and its new volumes.
func (m *Manager) checkCreate(ctx context.Context, list *serverList, q form.Quota, spec store.Spec) error {
	if !q.CountsServers() {
		return nil
	}
	ns := list.ns
	srvs, err := list.get(ctx)
	if err != nil {
		return err
	}
	if err := q.CheckServers(ns, len(srvs)); err != nil {
		return err
	}
	if err := q.CheckRunning(ns, active(srvs, "")); err != nil {
		return err
	}
	return m.checkStorage(ctx, ns, q, srvs, form.NewVolumeRefs(spec))
}

// checkStart applies the running limit to server name about to start.
func (m *Manager) checkStart(ctx context.Context, list *serverList, name string, q form.Quota) error {
	if q.RunningServers == 0 {
		return nil
	}
	srvs, err := list.get(ctx)
	if err != nil {
		return err
	}
	return q.CheckRunning(list.ns, active(srvs, name))
}

// active counts the servers that hold a running place: queued, starting,
// running or still stopping; except is the server about to start.
func active(srvs []store.Server, except string) int {
	n := 0
	for _, s := range srvs {
		if s.Name != except && s.Phase != store.PhaseStopped && s.Phase != store.PhaseFailed {
			n++
		}
	}
	return n
}

// checkStorage refuses new volumes that would take the namespace's
// requested storage past its limit. srvs are the namespace's servers (nil
// to have them listed when needed).
func (m *Manager) checkStorage(ctx context.Context, ns string, q form.Quota, srvs []store.Server, add []form.VolumeRef) error {
	if q.StorageBytes() == 0 || len(add) == 0 {
		return nil
	}
	used, err := m.storageUsed(ctx, ns, srvs)
	if err != nil {
		return err
	}
	return q.CheckStorage(ns, used, add)
}

// storageUsed is the requested size of the namespace's volumes: those of
// its volume store, or, without one, the new volumes in its servers' specs.
func (m *Manager) storageUsed(ctx context.Context, ns string, srvs []store.Server) (int64, error) {
	var used int64
	if _, none := m.vols.(noVolumes); !none {
		vols, err := m.vols.ListVolumes(ctx, ns)
		if err != nil {
			return 0, fmt.Errorf("list volumes of %s: %w", ns, err)
		}
		for _, v := range vols {
			used = form.AddSize(used, v.Size)
		}
		return used, nil
	}
	if srvs == nil {
		var err error
		if srvs, err = m.st.ListServers(ctx, ns); err != nil {
			return 0, fmt.Errorf("list servers of %s: %w", ns, err)
		}
	}
	for _, s := range srvs {
		for _, r := range form.NewVolumeRefs(s.Spec) {
			used = form.AddSize(used, r.Size)
		}
	}
	return used, nil
}
