package spawner

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// ConsoleStore is what the administrators' console reads: the index, the
// activity of a page of servers, and who owns each namespace.
type ConsoleStore interface {
	store.AdminIndex
	Activities(ctx context.Context, keys []store.Key) (map[store.Key]store.Activity, error)
	ListNamespaces(ctx context.Context) ([]store.Namespace, error)
}

// Stopper reads and stops one server (the Manager).
type Stopper interface {
	Get(ctx context.Context, ns, name string) (store.Server, error)
	Stop(ctx context.Context, ns, name string) (store.Server, error)
}

// Console answers the administrators: every server filtered, sorted and
// paged from the store's index, totals, bulk stops and usage.
type Console struct {
	st   ConsoleStore
	stop Stopper
	now  func() time.Time
}

// NewConsole returns the console over st, stopping servers with stop.
func NewConsole(st ConsoleStore, stop Stopper, now func() time.Time) *Console {
	if now == nil {
		now = time.Now
	}
	return &Console{st: st, stop: stop, now: now}
}

// Sorts of ServerQuery.Sort; a leading "-" reverses one.
const (
	SortName    = "name"    // namespace, then name
	SortStarted = "started" // oldest start first
	SortIdle    = "idle"    // idle longest first (running servers only)
)

// ServerQuery is one page of the console's list.
type ServerQuery struct {
	Filter ServerFilter
	Sort   string // SortName (default), SortStarted, SortIdle, or one with "-"
	Limit  int    // at most MaxPage; 0: DefaultPage
	Cursor string // from the previous page's Next
}

// Page sizes of the console.
const (
	DefaultPage = 50
	MaxPage     = 1000
)

// AdminServer is one row of the console.
type AdminServer struct {
	store.Summary
	Owner        string    `json:"owner"`
	LastActivity time.Time `json:"lastActivity,omitzero"`
	Source       string    `json:"lastActivitySource,omitempty"`
	IdleFor      Duration  `json:"idleFor,omitempty"` // running servers only
}

// Duration is a time.Duration that reads and writes as "1h30m0s" in JSON.
type Duration time.Duration

// MarshalText writes the duration the way time.Duration prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads what time.ParseDuration reads.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// Totals sums the servers of a filter.
type Totals struct {
	Servers     int64 `json:"servers"`
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
	GPUs        int64 `json:"gpus"`
}

func (t *Totals) add(b store.Bucket) {
	t.Servers += b.Servers
	t.CPUMilli += b.CPUMilli
	t.MemoryBytes += b.MemoryBytes
	t.GPUs += b.GPUs
}

// ServerPage is a page of the console's list, with the totals of every
// server the filter matches (not only this page's).
type ServerPage struct {
	Items  []AdminServer `json:"items"`
	Next   string        `json:"next,omitempty"` // "" on the last page
	Totals Totals        `json:"totals"`
}

// Servers answers one page of the list.
func (c *Console) Servers(ctx context.Context, q ServerQuery) (ServerPage, error) {
	m, err := c.matcher(ctx, q.Filter)
	if err != nil {
		return ServerPage{}, err
	}
	items, next, err := c.page(ctx, m, q)
	if err != nil {
		return ServerPage{}, err
	}
	totals, err := c.totals(ctx, m)
	if err != nil {
		return ServerPage{}, err
	}
	return ServerPage{Items: items, Next: next, Totals: totals}, nil
}
