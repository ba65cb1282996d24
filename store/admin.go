package store

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// AdminIndex is what the administrators' console reads: a summary of every
// server kept beside its record, ordered for paging, with running totals
// and the history of runs (start and stop times) for usage. The store keeps
// it up to date on every CreateServer, UpdateServer and DeleteServer; a
// page of the console reads a page of the index, never every record.
type AdminIndex interface {
	// ScanServers returns up to req.Count summaries in req.Order, after
	// req.After (a Summary.Cursor; "" starts at the beginning).
	ScanServers(ctx context.Context, req Scan) ([]Summary, error)
	// Buckets returns the totals of the servers grouped by phase, kind,
	// image and whether they have GPUs: one entry per group, far fewer than
	// servers. With namespaces nil the groups span the fleet (Namespace
	// ""); otherwise each namespace has its own groups.
	Buckets(ctx context.Context, namespaces []string) ([]Bucket, error)
	// Runs returns the runs of servers that overlap [from, to): finished
	// ones from the history, and those running now (End zero).
	Runs(ctx context.Context, from, to time.Time) ([]Run, error)
	// Owners returns the owner of each of the namespaces that exists, in
	// one round trip (the owners of a page's rows).
	Owners(ctx context.Context, namespaces []string) (map[string]string, error)
}

// Order is an order of ScanServers.
type Order string

// Orders of the index.
const (
	OrderName     Order = "name"     // namespace, then name
	OrderStarted  Order = "started"  // StartedAt, then key
	OrderActivity Order = "activity" // last activity, oldest first; only servers with activity
)

// Scan is one read of the index.
type Scan struct {
	Order Order
	Desc  bool
	After string // a Summary.Cursor of this order and direction
	Count int
	// ActiveBefore, with OrderActivity ascending, ends the scan at the
	// first server active at or after it.
	ActiveBefore time.Time
	// Namespace, with OrderName, keeps the scan within that namespace.
	Namespace string
}

// Summary is a server as the index keeps it: what the console shows,
// filters, sorts and totals on.
type Summary struct {
	Key
	Image       string    `json:"image"`
	Kind        string    `json:"kind"`
	Phase       Phase     `json:"phase"`
	CPUMilli    int64     `json:"cpuMilli"`
	MemoryBytes int64     `json:"memoryBytes"`
	GPUs        int       `json:"gpus"`
	CreatedAt   time.Time `json:"createdAt"`
	StartedAt   time.Time `json:"startedAt,omitzero"`
	CullAt      time.Time `json:"cullAt,omitzero"` // a pending warning's
	Version     int64     `json:"version"`
	// Cursor is where a scan in the same order resumes after this entry;
	// set by ScanServers only.
	Cursor string `json:"-"`
}

// Bucket is the totals of one group of servers.
type Bucket struct {
	Namespace   string // "" for the whole fleet
	Phase       Phase
	Kind        string
	Image       string
	GPU         bool // the group's servers have GPUs
	Servers     int64
	CPUMilli    int64
	MemoryBytes int64
	GPUs        int64
}

// Run is one run of a server, from its start to its stop.
type Run struct {
	Key
	Image       string
	CPUMilli    int64
	MemoryBytes int64
	GPUs        int
	Start       time.Time
	End         time.Time // zero: running now
}

// SummaryOf is the index entry of a record. A quantity that does not parse
// counts as zero (the spawner validated them).
func SummaryOf(s Server) Summary {
	sum := Summary{
		Key: s.Key(), Image: ImageName(s.Spec), Kind: s.Spec.Kind, Phase: s.Phase,
		CPUMilli: milli(s.Spec.CPU), MemoryBytes: value(s.Spec.Memory), GPUs: s.Spec.GPUs,
		CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, Version: s.Version,
	}
	if !sum.Live() {
		sum.StartedAt = time.Time{} // a past run's
	}
	if s.Cull != nil && !s.Cull.Done {
		sum.CullAt = s.Cull.At
	}
	return sum
}

// Live reports whether the server is running (or being stopped): its run
// is counted up to now.
func (s Summary) Live() bool {
	return (s.Phase == PhaseRunning || s.Phase == PhaseStopping) && !s.StartedAt.IsZero()
}

// Bucket returns the group of the summary, with its totals.
func (s Summary) Bucket() Bucket {
	return Bucket{
		Namespace: s.Namespace, Phase: s.Phase, Kind: s.Kind, Image: s.Image, GPU: s.GPUs > 0,
		Servers: 1, CPUMilli: s.CPUMilli, MemoryBytes: s.MemoryBytes, GPUs: int64(s.GPUs),
	}
}

// ImageName is the image a server runs: its catalogue id, or the custom
// image reference.
func ImageName(sp Spec) string {
	if sp.Image != "" {
		return sp.Image
	}
	return sp.CustomImage
}

// RunEnd is when a run ended, given the record after it: its StoppedAt or
// UpdatedAt if after start, else now.
func RunEnd(start time.Time, after Server, now time.Time) time.Time {
	for _, t := range []time.Time{after.StoppedAt, after.UpdatedAt} {
		if t.After(start) {
			return t
		}
	}
	return now
}

func milli(q string) int64 {
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.MilliValue()
}

func value(q string) int64 {
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.Value()
}

// StartedCursor is a summary's place in OrderStarted: its start in
// zero-padded unix milliseconds (0 when not running), then its key, so
// that cursors sort as strings.
func StartedCursor(s Summary) string {
	var ms int64
	if !s.StartedAt.IsZero() {
		ms = s.StartedAt.UnixMilli()
	}
	return fmt.Sprintf("%016d|%s", ms, s.Key)
}
