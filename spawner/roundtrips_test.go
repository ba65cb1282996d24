package spawner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// countingStore counts the manager's calls to its store, each a round trip
// to Redis in production.
type countingStore struct {
	Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

func (c *countingStore) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

func (c *countingStore) CreateServer(ctx context.Context, s store.Server) (store.Server, error) {
	c.count("CreateServer")
	return c.Store.CreateServer(ctx, s)
}
func (c *countingStore) GetServer(ctx context.Context, ns, name string) (store.Server, error) {
	c.count("GetServer")
	return c.Store.GetServer(ctx, ns, name)
}
func (c *countingStore) ListServers(ctx context.Context, ns string) ([]store.Server, error) {
	c.count("ListServers")
	return c.Store.ListServers(ctx, ns)
}
func (c *countingStore) UpdateServer(ctx context.Context, s store.Server) (store.Server, error) {
	c.count("UpdateServer")
	return c.Store.UpdateServer(ctx, s)
}
func (c *countingStore) AppendEvent(ctx context.Context, key store.Key, e store.Event) error {
	c.count("AppendEvent")
	return c.Store.AppendEvent(ctx, key, e)
}
func (c *countingStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	c.count("AcquireLease")
	return c.Store.AcquireLease(ctx, name, holder, ttl)
}
func (c *countingStore) ReleaseLease(ctx context.Context, name, holder string) error {
	c.count("ReleaseLease")
	return c.Store.ReleaseLease(ctx, name, holder)
}
func (c *countingStore) SetRoute(ctx context.Context, key store.Key, r store.Route) error {
	c.count("SetRoute")
	return c.Store.SetRoute(ctx, key, r)
}
func (c *countingStore) DeleteRoute(ctx context.Context, key store.Key) error {
	c.count("DeleteRoute")
	return c.Store.DeleteRoute(ctx, key)
}
func (c *countingStore) MarkActivity(ctx context.Context, marks map[store.Key]time.Time) error {
	c.count("MarkActivity")
	return c.Store.MarkActivity(ctx, marks)
}
func (c *countingStore) ClearActivity(ctx context.Context, key store.Key) error {
	c.count("ClearActivity")
	return c.Store.ClearActivity(ctx, key)
}

func lockCount(calls []string) int {
	n := 0
	for _, c := range calls {
		if c == "AcquireLease" {
			n++
		}
	}
	return n
}

// TestLaunchRoundTrips counts the store round trips of a one-click launch
// (the request, then the start in the background), with the limits and the
// volume store on: the namespace is locked once, and its servers are
// listed twice: once to find a stopped server of the image to start again,
// and once under the lock for every check (the first list may be stale by
// then).
func TestLaunchRoundTrips(t *testing.T) {
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	st := &countingStore{Store: mem}
	b := newFake()
	q := form.Quotas{Quota: form.Quota{Servers: 10, RunningServers: 5, Storage: "1Ti"}}
	m := NewManager(st, b, testConfig(), WithOwner("r1"), withFakeCapabilities(b), WithLogger(quiet()),
		WithQuotas(q), WithVolumeStore(&memVolumes{vols: map[string]Volume{}}))
	t.Cleanup(m.shutdown)

	if _, err := m.Launch(context.Background(), "ns", form.Requester{}, "demo"); err != nil {
		t.Fatal(err)
	}
	launch := st.take()
	b.release <- nil
	m.queue.wg.Wait()
	start := st.take()
	t.Logf("launch request: %d round trips: %s", len(launch), strings.Join(launch, " "))
	t.Logf("start: %d round trips: %s", len(start), strings.Join(start, " "))
	if n := lockCount(launch) + lockCount(start); n != 1 {
		t.Errorf("launch took the namespace lock %d times, want 1", n)
	}
	lists := 0
	for _, c := range launch {
		if c == "ListServers" {
			lists++
		}
	}
	if lists != 2 {
		t.Errorf("launch listed the namespace's servers %d times, want 2 (%s)", lists, strings.Join(launch, " "))
	}
}

// TestLaunchWithoutLimitsTakesNoLock: with no limit and no volume store
// there is nothing for a lock to protect, and none is taken.
func TestLaunchWithoutLimitsTakesNoLock(t *testing.T) {
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	st := &countingStore{Store: mem}
	b := newFake()
	m := NewManager(st, b, testConfig(), WithOwner("r1"), withFakeCapabilities(b), WithLogger(quiet()))
	t.Cleanup(m.shutdown)
	if _, err := m.Launch(context.Background(), "ns", form.Requester{}, "demo"); err != nil {
		t.Fatal(err)
	}
	launch := st.take()
	t.Logf("launch request: %d round trips: %s", len(launch), strings.Join(launch, " "))
	if n := lockCount(launch); n != 0 {
		t.Errorf("launch took the namespace lock %d times, want 0 (%s)", n, strings.Join(launch, " "))
	}
	b.release <- nil
	m.queue.wg.Wait()
}
