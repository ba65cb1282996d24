package spawner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

func intp(n int) *int             { return &n }
func strp(s string) *string       { return &s }
func quiet() *slog.Logger         { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func named(name string) form.Form { return form.Form{Name: name} }

func withVols(n int) []form.DataVolumeForm {
	out := make([]form.DataVolumeForm, n)
	for i := range out {
		out[i] = form.DataVolumeForm{New: &form.NewVolumeForm{Size: "1Gi"}}
	}
	return out
}

// newQuotaFixture is a manager with limits; vols, when not nil, keeps
// the volumes (else they are only recorded in the specs).
func newQuotaFixture(t *testing.T, q form.Quotas, vols VolumeStore) *fixture {
	t.Helper()
	st, b := memory.New(), newFake()
	opts := []Option{WithOwner("r1"), withFakeCapabilities(b), WithLogger(quiet()), WithQuotas(q)}
	if vols != nil {
		opts = append(opts, WithVolumeStore(vols))
	}
	m := NewManager(st, b, testConfig(), opts...)
	t.Cleanup(func() { m.shutdown(); st.Close() })
	return &fixture{m: m, st: st, b: b}
}

// serverNames lists the namespace's servers as name:phase.
func (fx *fixture) serverNames(t *testing.T) string {
	t.Helper()
	srvs, err := fx.m.List(ctx, "ns")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range srvs {
		out = append(out, s.Name+":"+string(s.Phase))
	}
	return strings.Join(out, ",")
}

func wantLimit(t *testing.T, err error, field, code string, sentinel error) {
	t.Helper()
	var fe *form.FieldError
	if !errors.As(err, &fe) || fe.Field != field || fe.Code != code || !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %s on %q wrapping %v", err, code, field, sentinel)
	}
	if fe.Params["namespace"] != "ns" || fe.Params["limit"] == nil {
		t.Errorf("params = %v, want the namespace and the limit", fe.Params)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, form.ErrInvalidSpec) {
		t.Errorf("%v wraps ErrConflict or ErrInvalidSpec: a launch would retry it, or the API call it a bad form", err)
	}
}

func TestQuotasForNamespace(t *testing.T) {
	q := form.Quotas{
		Quota:      form.Quota{Servers: 20, RunningServers: 5, DataVolumesPerServer: 16, Storage: "2Ti", TokensPerUser: 50},
		Namespaces: map[string]form.QuotaOverride{"alice": {Servers: intp(100), Storage: strp("0"), TokensPerUser: intp(0)}},
	}
	if got, want := fmt.Sprint(q.For("alice")), "{100 5 16 0 0}"; got != want {
		t.Errorf("For(alice) = %s, want %s (overrides, the rest global)", got, want)
	}
	if got, want := fmt.Sprint(q.For("bob")), "{20 5 16 2Ti 50}"; got != want {
		t.Errorf("For(bob) = %s, want the global %s", got, want)
	}
	if got := q.For("bob").StorageBytes(); got != 2<<40 {
		t.Errorf("StorageBytes(2Ti) = %d", got)
	}
	if got := q.For("alice").StorageBytes(); got != 0 {
		t.Errorf("StorageBytes(0) = %d, want 0 (no limit)", got)
	}
}

func TestQuotasValidate(t *testing.T) {
	if err := (form.Quotas{}).Validate(); err != nil {
		t.Errorf("zero quotas: %v", err)
	}
	bad := form.Quotas{
		Quota:      form.Quota{Servers: -1, Storage: "lots"},
		Namespaces: map[string]form.QuotaOverride{"Bad_NS": {}, "bob": {RunningServers: intp(-2), Storage: strp("-1Gi")}},
	}
	err := bad.Validate()
	for _, want := range []string{"servers: -1", `storage: "lots"`, "namespaces.Bad_NS", "namespaces.bob.runningServers", `namespaces.bob.storage: "-1Gi"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

func TestServersLimit(t *testing.T) {
	fx := newQuotaFixture(t, form.Quotas{Quota: form.Quota{Servers: 2}}, nil)
	fx.create(t, "a")
	fx.create(t, "b")
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, named("c"))
	wantLimit(t, err, "", "quota.servers", form.ErrLimitReached)
	_, err = fx.m.Launch(ctx, "ns", form.Requester{}, "demo")
	wantLimit(t, err, "", "quota.servers", form.ErrLimitReached)
	if got := fx.serverNames(t); !strings.HasPrefix(got, "a:") || !strings.Contains(got, ",b:") || strings.Count(got, ",") != 1 {
		t.Errorf("servers = %s, want only a and b", got)
	}
	if err := fx.m.Delete(ctx, "ns", "a", false); err != nil {
		t.Fatal(err)
	}
	fx.create(t, "c")
	if _, err := fx.m.Create(ctx, "other", form.Requester{}, named("a")); err != nil {
		t.Errorf("a server in another namespace: %v, want the limit per namespace", err)
	}
}

func TestRunningServersLimit(t *testing.T) {
	fx := newQuotaFixture(t, form.Quotas{Quota: form.Quota{RunningServers: 1}}, nil)
	fx.create(t, "a") // queued, then starting: running for the limit
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, named("b"))
	wantLimit(t, err, "", "quota.runningServers", form.ErrLimitReached)
	if got := fx.serverNames(t); got != "a:queued" && got != "a:starting" {
		t.Errorf("servers = %s, want only a: a refused create records nothing", got)
	}
	if _, err := fx.m.Stop(ctx, "ns", "a"); err != nil {
		t.Fatal(err)
	}
	fx.create(t, "b")
	_, err = fx.m.Start(ctx, "ns", "a")
	wantLimit(t, err, "", "quota.runningServers", form.ErrLimitReached)
	if got := fx.get(t, "a"); got.Phase != store.PhaseStopped {
		t.Errorf("a after a refused start = %s, want stopped", got.Phase)
	}
	if _, err := fx.m.Start(ctx, "ns", "b"); err != nil {
		t.Errorf("Start of the server that already runs: %v, want it as is", err)
	}
}

func TestDataVolumesPerServerLimit(t *testing.T) {
	vols := &memVolumes{vols: map[string]Volume{}}
	fx := newQuotaFixture(t, form.Quotas{Quota: form.Quota{DataVolumesPerServer: 2}}, vols)
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "lab", DataVolumes: withVols(3)})
	wantLimit(t, err, "dataVolumes", "quota.dataVolumesPerServer", form.ErrOverLimit)
	if got := fx.serverNames(t); got != "" || len(vols.names()) != 0 {
		t.Errorf("after a refused form: servers %q, volumes %v; want none", got, vols.names())
	}
	fx.create(t, "lab")
	if _, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "two", DataVolumes: withVols(2)}); err != nil {
		t.Errorf("two data volumes: %v", err)
	}
}

func TestStorageLimit(t *testing.T) {
	vols := &memVolumes{vols: map[string]Volume{}}
	fx := newQuotaFixture(t, form.Quotas{Quota: form.Quota{Storage: "100Gi"}}, vols)
	// 16Gi workspace + 64Gi data volume: 80Gi of 100Gi.
	if _, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "lab", DataVolumes: []form.DataVolumeForm{{New: &form.NewVolumeForm{}}}}); err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(vols.names())
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "more", DataVolumes: []form.DataVolumeForm{{New: &form.NewVolumeForm{Size: "8Gi"}}}})
	wantLimit(t, err, "dataVolumes[0].new.size", "quota.storage", form.ErrLimitReached)
	var fe *form.FieldError
	errors.As(err, &fe)
	if fe.Params["used"] != "80Gi" || fe.Params["total"] != "104Gi" || fe.Params["limit"] != "100Gi" {
		t.Errorf("params = %v, want used 80Gi, total 104Gi, limit 100Gi", fe.Params)
	}
	_, err = fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "huge", DataVolumes: []form.DataVolumeForm{{New: &form.NewVolumeForm{Size: "128Gi"}}}})
	wantLimit(t, err, "dataVolumes[0].new.size", "quota.storage", form.ErrOverLimit)
	_, err = fx.m.CreateVolume(ctx, "ns", "data", "30Gi")
	wantLimit(t, err, "size", "quota.storage", form.ErrLimitReached)
	if got := fmt.Sprint(vols.names()); got != before {
		t.Errorf("volumes after refusals = %s, want %s", got, before)
	}
	if _, err := fx.m.CreateVolume(ctx, "ns", "data", "20Gi"); err != nil {
		t.Errorf("a volume that fits exactly: %v", err)
	}
	if _, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "reuse", Workspace: &form.WorkspaceForm{Existing: "data"}}); err != nil {
		t.Errorf("a server on an existing volume asks no storage: %v", err)
	}
}

func TestStorageLimitWithoutVolumeStore(t *testing.T) {
	fx := newQuotaFixture(t, form.Quotas{Quota: form.Quota{Storage: "40Gi"}}, nil)
	fx.create(t, "a") // 16Gi workspaces, recorded in the specs only
	fx.create(t, "b")
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, named("c"))
	wantLimit(t, err, "workspace.new.size", "quota.storage", form.ErrLimitReached)
}

func TestStorageSumDoesNotOverflow(t *testing.T) {
	fx := newQuotaFixture(t, form.Quotas{Quota: form.Quota{Storage: "1Ti"}}, &memVolumes{vols: map[string]Volume{}})
	huge := []form.VolumeRef{{Size: "4E", Field: "a"}, {Size: "4E", Field: "b"}, {Size: "4E", Field: "c"}}
	err := fx.m.checkStorage(ctx, "ns", fx.m.quotas.For("ns"), nil, huge)
	wantLimit(t, err, "a", "quota.storage", form.ErrOverLimit)
}

// slowList is a store whose ListServers answers late, as a remote one
// does: the list may be out of date when it arrives, so that creates
// racing without a lock would all see room.
type slowList struct{ *memory.Store }

func (s slowList) ListServers(ctx context.Context, ns string) ([]store.Server, error) {
	srvs, err := s.Store.ListServers(ctx, ns)
	time.Sleep(5 * time.Millisecond) // widens the race; nothing is timed
	return srvs, err
}

// TestLimitsHoldAcrossReplicas: two managers on one store (two replicas)
// racing to create servers never go past the limit together.
func TestLimitsHoldAcrossReplicas(t *testing.T) {
	const limit = 3
	st, b := memory.New(), newFake()
	defer st.Close()
	q := form.Quotas{Quota: form.Quota{Servers: limit}}
	one := NewManager(slowList{st}, b, testConfig(), WithOwner("r1"), withFakeCapabilities(b), WithLogger(quiet()), WithQuotas(q))
	other := NewManager(slowList{st}, b, testConfig(), WithOwner("r2"), withFakeCapabilities(b), WithLogger(quiet()), WithQuotas(q))
	defer one.shutdown()
	defer other.shutdown()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	start := make(chan struct{})
	for i := range 20 {
		m := one
		if i%2 == 1 {
			m = other
		}
		wg.Go(func() {
			<-start // all at once
			_, err := m.Create(ctx, "ns", form.Requester{}, named(fmt.Sprintf("s%d", i)))
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	created := 0
	for err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, form.ErrLimitReached):
			t.Errorf("Create: %v, want success or the limit", err)
		}
	}
	srvs, _ := one.List(ctx, "ns")
	if created != limit || len(srvs) != limit {
		t.Errorf("%d creates succeeded and %d servers exist, want %d of each", created, len(srvs), limit)
	}
}
