package spawner

import (
	"context"
	"fmt"
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/spawnhub/spawnhub/store"
)

// WithQuotas sets the limits of every namespace (default: none).
func WithQuotas(q Quotas) Option { return func(m *Manager) { m.quotas = q } }

// The checks below that count what a namespace holds run under the
// namespace's lock (withNamespaceLock) together with the write they
// allow, so that replicas racing cannot go past a limit together.

func limitReached(field, code, ns string, params map[string]any) *FieldError {
	return quotaErr(field, code, ns, params, ErrLimitReached)
}

func overLimit(field, code, ns string, params map[string]any) *FieldError {
	return quotaErr(field, code, ns, params, ErrOverLimit)
}

func quotaErr(field, code, ns string, params map[string]any, sentinel error) *FieldError {
	p := map[string]any{"namespace": ns}
	for k, v := range params {
		p[k] = v
	}
	return &FieldError{Field: field, Code: code, Params: p, Err: sentinel}
}

// checkForm applies the limits a form breaks by itself, before anything
// else is looked at: a form of 10,000 data volumes is refused at once.
func (q Quota) checkForm(ns string, f Form) error {
	if q.DataVolumesPerServer > 0 && len(f.DataVolumes) > q.DataVolumesPerServer {
		return overLimit("dataVolumes", "quota.dataVolumesPerServer", ns, map[string]any{"limit": q.DataVolumesPerServer})
	}
	return nil
}

// countsServers reports whether creating a server in the namespace needs
// its lock for the limits.
func (q Quota) countsServers() bool {
	return q.Servers > 0 || q.RunningServers > 0 || q.StorageBytes() > 0
}

// checkCreate applies the limits to a new server that will be queued at
// once: one more server, one more running, and its new volumes.
func (m *Manager) checkCreate(ctx context.Context, ns string, q Quota, spec store.Spec) error {
	if !q.countsServers() {
		return nil
	}
	srvs, err := m.st.ListServers(ctx, ns)
	if err != nil {
		return fmt.Errorf("list servers of %s: %w", ns, err)
	}
	if q.Servers > 0 && len(srvs) >= q.Servers {
		return limitReached("", "quota.servers", ns, map[string]any{"limit": q.Servers})
	}
	if err := q.checkRunning(ns, srvs, ""); err != nil {
		return err
	}
	return m.checkStorage(ctx, ns, q, srvs, newVolumeRefs(spec))
}

// checkStart applies the running limit to server name about to start.
func (m *Manager) checkStart(ctx context.Context, ns, name string, q Quota) error {
	if q.RunningServers == 0 {
		return nil
	}
	srvs, err := m.st.ListServers(ctx, ns)
	if err != nil {
		return fmt.Errorf("list servers of %s: %w", ns, err)
	}
	return q.checkRunning(ns, srvs, name)
}

// checkRunning refuses one more active server when the namespace has as
// many as its limit; except is the server about to start.
func (q Quota) checkRunning(ns string, srvs []store.Server, except string) error {
	if q.RunningServers == 0 {
		return nil
	}
	active := 0
	for _, s := range srvs {
		if s.Name != except && s.Phase != store.PhaseStopped && s.Phase != store.PhaseFailed {
			active++
		}
	}
	if active >= q.RunningServers {
		return limitReached("", "quota.runningServers", ns, map[string]any{"limit": q.RunningServers})
	}
	return nil
}

// checkStorage refuses new volumes that would take the namespace's
// requested storage past its limit. srvs are the namespace's servers (nil
// to have them listed when needed). The error names the first new volume
// that crosses the limit: ErrOverLimit when the new volumes alone do,
// ErrLimitReached when the volumes already there leave no room.
func (m *Manager) checkStorage(ctx context.Context, ns string, q Quota, srvs []store.Server, add []volumeRef) error {
	limit := q.StorageBytes()
	if limit == 0 || len(add) == 0 {
		return nil
	}
	used, err := m.storageUsed(ctx, ns, srvs)
	if err != nil {
		return err
	}
	var alone int64
	for _, r := range add {
		if alone = addSize(alone, sizeOf(r.Size)); alone > limit {
			return storageErr(r.Field, ns, q, used, alone, overLimit)
		}
	}
	total := used
	for _, r := range add {
		if total = addSize(total, sizeOf(r.Size)); total > limit {
			return storageErr(r.Field, ns, q, used, addSize(used, alone), limitReached)
		}
	}
	return nil
}

func storageErr(field, ns string, q Quota, used, total int64, mk func(field, code, ns string, params map[string]any) *FieldError) *FieldError {
	return mk(field, "quota.storage", ns, map[string]any{"limit": q.Storage, "used": quantity(used), "total": quantity(total)})
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
			used = addSize(used, sizeOf(v.Size))
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
		for _, r := range newVolumeRefs(s.Spec) {
			used = addSize(used, sizeOf(r.Size))
		}
	}
	return used, nil
}

// newVolumeRefs lists the volumes a spec creates.
func newVolumeRefs(spec store.Spec) []volumeRef {
	var out []volumeRef
	for _, r := range volumeRefs(spec) {
		if r.New {
			r.Field = sizeField(r.Field)
			out = append(out, r)
		}
	}
	return out
}

// sizeField turns "workspace.new.name" into "workspace.new.size".
func sizeField(nameField string) string {
	if f, ok := strings.CutSuffix(nameField, ".name"); ok {
		return f + ".size"
	}
	return nameField
}

// addSize adds byte counts without overflowing: sizes parse up to
// MaxInt64/2 each, and a form may hold many.
func addSize(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// sizeOf is a volume's size in bytes; a size that does not parse (a folder
// made by hand) counts as nothing.
func sizeOf(size string) int64 {
	n, err := ParseBytes(size)
	if err != nil {
		return 0
	}
	return n
}

// quantity formats bytes as Kubernetes does: 64Gi, 1536Mi.
func quantity(bytes int64) string {
	return resource.NewQuantity(bytes, resource.BinarySI).String()
}
