package form

import (
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/spawnhub/spawnhub/store"
)

// The arithmetic of the limits. The counts it is given (servers, active
// servers, storage in use) are the caller's: the spawner counts them under
// the namespace's lock, together with the write they allow.

// LimitReached is a *FieldError for a limit the namespace already reaches
// (ErrLimitReached).
func LimitReached(field, code, ns string, params map[string]any) *FieldError {
	return quotaErr(field, code, ns, params, ErrLimitReached)
}

// OverLimit is a *FieldError for a request that by itself goes over a
// limit (ErrOverLimit).
func OverLimit(field, code, ns string, params map[string]any) *FieldError {
	return quotaErr(field, code, ns, params, ErrOverLimit)
}

func quotaErr(field, code, ns string, params map[string]any, sentinel error) *FieldError {
	p := map[string]any{"namespace": ns}
	for k, v := range params {
		p[k] = v
	}
	return &FieldError{Field: field, Code: code, Params: p, Err: sentinel}
}

// CheckForm applies the limits a form breaks by itself, before anything
// else is looked at: a form of 10,000 data volumes is refused at once.
func (q Quota) CheckForm(ns string, f Form) error {
	if q.DataVolumesPerServer > 0 && len(f.DataVolumes) > q.DataVolumesPerServer {
		return OverLimit("dataVolumes", "quota.dataVolumesPerServer", ns, map[string]any{"limit": q.DataVolumesPerServer})
	}
	return nil
}

// CountsServers reports whether creating a server in the namespace needs
// its servers counted (under its lock) for the limits.
func (q Quota) CountsServers() bool {
	return q.Servers > 0 || q.RunningServers > 0 || q.StorageBytes() > 0
}

// CheckServers refuses one more server when the namespace already has
// servers of them.
func (q Quota) CheckServers(ns string, servers int) error {
	if q.Servers > 0 && servers >= q.Servers {
		return LimitReached("", "quota.servers", ns, map[string]any{"limit": q.Servers})
	}
	return nil
}

// CheckRunning refuses one more active server when active of them already
// are (queued, starting, running or stopping).
func (q Quota) CheckRunning(ns string, active int) error {
	if q.RunningServers > 0 && active >= q.RunningServers {
		return LimitReached("", "quota.runningServers", ns, map[string]any{"limit": q.RunningServers})
	}
	return nil
}

// CheckStorage refuses new volumes that would take the namespace's
// requested storage, used bytes now, past its limit. The error names the
// first new volume that crosses the limit: ErrOverLimit when the new
// volumes alone do, ErrLimitReached when the volumes already there leave
// no room.
func (q Quota) CheckStorage(ns string, used int64, add []VolumeRef) error {
	limit := q.StorageBytes()
	if limit == 0 || len(add) == 0 {
		return nil
	}
	var alone int64
	for _, r := range add {
		if alone = AddSize(alone, r.Size); alone > limit {
			return storageErr(r.Field, ns, q, used, alone, OverLimit)
		}
	}
	total := used
	for _, r := range add {
		if total = AddSize(total, r.Size); total > limit {
			return storageErr(r.Field, ns, q, used, addBytes(used, alone), LimitReached)
		}
	}
	return nil
}

func storageErr(field, ns string, q Quota, used, total int64, mk func(field, code, ns string, params map[string]any) *FieldError) *FieldError {
	return mk(field, "quota.storage", ns, map[string]any{"limit": q.Storage, "used": quantity(used), "total": quantity(total)})
}

// NewVolumeRefs lists the volumes a spec creates, each with the form
// field of its size.
func NewVolumeRefs(spec store.Spec) []VolumeRef {
	var out []VolumeRef
	for _, r := range VolumeRefs(spec) {
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

// AddSize adds a volume's size to a byte count without overflowing: sizes
// parse up to MaxInt64/2 each, and a form may hold many. A size that does
// not parse (a folder made by hand) counts as nothing.
func AddSize(total int64, size string) int64 {
	n, err := ParseBytes(size)
	if err != nil {
		return total
	}
	return addBytes(total, n)
}

func addBytes(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// quantity formats bytes as Kubernetes does: 64Gi, 1536Mi.
func quantity(bytes int64) string {
	return resource.NewQuantity(bytes, resource.BinarySI).String()
}
