package spawner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// memVolumes is a VolumeStore in memory that can be told to fail.
type memVolumes struct {
	mu     sync.Mutex
	vols   map[string]Volume // ns/name
	failOn string            // CreateVolume of this name fails
}

func (v *memVolumes) ListVolumes(_ context.Context, ns string) ([]Volume, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []Volume
	for k, vol := range v.vols {
		if k[:len(ns)+1] == ns+"/" {
			out = append(out, vol)
		}
	}
	return out, nil
}

func (v *memVolumes) CreateVolume(_ context.Context, ns string, vol Volume) (Volume, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if vol.Name == v.failOn {
		return Volume{}, errors.New("disk full")
	}
	if _, ok := v.vols[ns+"/"+vol.Name]; ok {
		return Volume{}, store.ErrConflict
	}
	v.vols[ns+"/"+vol.Name] = vol
	return vol, nil
}

func (v *memVolumes) DeleteVolume(_ context.Context, ns, name string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.vols[ns+"/"+name]; !ok {
		return store.ErrNotFound
	}
	delete(v.vols, ns+"/"+name)
	return nil
}

func (v *memVolumes) names() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for k := range v.vols {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func newVolumeFixture(t *testing.T) (*fixture, *memVolumes) {
	t.Helper()
	vols := &memVolumes{vols: map[string]Volume{}}
	st, b := memory.New(), newFake()
	m := NewManager(st, b, testConfig(), WithOwner("r1"), withFakeCapabilities(b), WithVolumeStore(vols), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(func() { m.shutdown(); st.Close() })
	return &fixture{m: m, st: st, b: b}, vols
}

// runForm creates a server from f and lets its start succeed.
func (fx *fixture) runForm(t *testing.T, f form.Form) {
	t.Helper()
	if _, err := fx.m.Create(ctx, "ns", form.Requester{}, f); err != nil {
		t.Fatalf("Create(%s): %v", f.Name, err)
	}
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
}

func wantFieldError(t *testing.T, err error, field, code string, conflict bool) *form.FieldError {
	t.Helper()
	var fe *form.FieldError
	if !errors.As(err, &fe) || fe.Field != field || fe.Code != code {
		t.Fatalf("error = %v, want %s on %s", err, code, field)
	}
	if errors.Is(err, store.ErrConflict) != conflict {
		t.Errorf("errors.Is(%v, ErrConflict) = %v, want %v", err, !conflict, conflict)
	}
	return fe
}

func TestCreateMakesNewVolumes(t *testing.T) {
	fx, vols := newVolumeFixture(t)
	fx.runForm(t, form.Form{Name: "lab", DataVolumes: []form.DataVolumeForm{{New: &form.NewVolumeForm{}}, {New: &form.NewVolumeForm{Name: "data", Size: "8Gi"}}}})
	if got, want := fmt.Sprint(vols.names()), "[ns/data ns/lab-datavol-1 ns/lab-workspace]"; got != want {
		t.Errorf("volumes = %s, want %s", got, want)
	}
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "other", DataVolumes: []form.DataVolumeForm{{New: &form.NewVolumeForm{Name: "data"}}}})
	wantFieldError(t, err, "dataVolumes[0].new.name", "volume.taken", true)
	if _, err := fx.m.Get(ctx, "ns", "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of a refused server: %v, want ErrNotFound", err)
	}
	if len(vols.names()) != 3 {
		t.Errorf("volumes after a refused create = %v, want the same 3", vols.names())
	}
}

func TestCreateRollsBackVolumes(t *testing.T) {
	fx, vols := newVolumeFixture(t)
	vols.failOn = "lab-datavol-2"
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "lab", DataVolumes: []form.DataVolumeForm{{New: &form.NewVolumeForm{}}, {New: &form.NewVolumeForm{}}}})
	if err == nil {
		t.Fatal("Create with a failing volume succeeded")
	}
	if names := vols.names(); len(names) != 0 {
		t.Errorf("volumes after a failed create = %v, want none", names)
	}
	if _, err := fx.m.Get(ctx, "ns", "lab"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record after a failed create: %v, want ErrNotFound", err)
	}
}

func TestAttachRules(t *testing.T) {
	fx, vols := newVolumeFixture(t)
	vols.CreateVolume(ctx, "ns", Volume{Name: "shared", Size: "8Gi"})

	_, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "x", Workspace: &form.WorkspaceForm{Existing: "nope"}})
	wantFieldError(t, err, "workspace.existing", "volume.unknown", false)

	fx.runForm(t, form.Form{Name: "first", DataVolumes: []form.DataVolumeForm{{Existing: "shared"}}})
	_, err = fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "second", DataVolumes: []form.DataVolumeForm{{Existing: "shared"}}})
	fe := wantFieldError(t, err, "dataVolumes[0].existing", "volume.mounted", true)
	if fe.Params["server"] != "first" {
		t.Errorf("mounted by %v, want first", fe.Params["server"])
	}
	if _, err := fx.m.Get(ctx, "ns", "second"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of the refused server: %v, want ErrNotFound", err)
	}

	// Once first stops, second may attach the volume; then first may not
	// start again while second runs.
	if _, err := fx.m.Stop(ctx, "ns", "first"); err != nil {
		t.Fatal(err)
	}
	fx.runForm(t, form.Form{Name: "second", DataVolumes: []form.DataVolumeForm{{Existing: "shared"}}})
	_, err = fx.m.Start(ctx, "ns", "first")
	fe = wantFieldError(t, err, "dataVolumes[0].existing", "volume.mounted", true)
	if fe.Params["server"] != "second" {
		t.Errorf("mounted by %v, want second", fe.Params["server"])
	}
	if got := fx.get(t, "first").Phase; got != store.PhaseStopped {
		t.Errorf("phase of first after a refused start = %s, want stopped", got)
	}
}

func TestVolumesAPI(t *testing.T) {
	fx, vols := newVolumeFixture(t)
	fx.runForm(t, form.Form{Name: "lab"})
	list, err := fx.m.Volumes(ctx, "ns")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "lab-workspace" || list[0].MountedBy != "lab" || fmt.Sprint(list[0].UsedBy) != "[lab]" {
		t.Errorf("Volumes = %+v, want lab-workspace mounted by lab", list)
	}
	fe := wantFieldError(t, fx.m.DeleteVolume(ctx, "ns", "lab-workspace"), "name", "volume.mounted", true)
	if fe.Params["server"] != "lab" {
		t.Errorf("DeleteVolume names %v, want lab", fe.Params["server"])
	}
	if err := fx.m.DeleteVolume(ctx, "ns", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteVolume(nope) = %v, want ErrNotFound", err)
	}

	for _, tt := range []struct{ name, size, field, code string }{
		{"Bad_Name", "", "name", "volume.name.invalid"},
		{"ok", "lots", "size", "volume.size.invalid"},
		{"ok", "1Ti", "size", "volume.size.range"},
	} {
		_, err := fx.m.CreateVolume(ctx, "ns", tt.name, tt.size)
		wantFieldError(t, err, tt.field, tt.code, false)
	}
	v, err := fx.m.CreateVolume(ctx, "ns", "data", "")
	if err != nil || v.Size != "64Gi" {
		t.Fatalf("CreateVolume(data) = %+v, %v; want the default size 64Gi", v, err)
	}
	_, err = fx.m.CreateVolume(ctx, "ns", "data", "")
	wantFieldError(t, err, "name", "volume.taken", true)
	if err := fx.m.DeleteVolume(ctx, "ns", "data"); err != nil {
		t.Errorf("DeleteVolume(data) = %v", err)
	}

	if err := fx.m.Delete(ctx, "ns", "lab", true); err != nil {
		t.Fatal(err)
	}
	if names := vols.names(); len(names) != 0 {
		t.Errorf("volumes after deleting lab with its volumes = %v, want none", names)
	}
}

// TestConcurrentStartsShareNoVolume: two stopped servers that name the
// same volume are started at once from two replicas, many times over;
// exactly one of each pair may mount it, the other is told who has it.
func TestConcurrentStartsShareNoVolume(t *testing.T) {
	fx, vols := newVolumeFixture(t)
	peer, err := fx.st.Peer()
	if err != nil {
		t.Fatal(err)
	}
	peerBackend := newFake()
	other := NewManager(peer.(Store), peerBackend, testConfig(), WithOwner("r2"), withFakeCapabilities(peerBackend), WithVolumeStore(vols),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(other.shutdown)
	for round := range 20 {
		vol := fmt.Sprintf("shared-%d", round)
		vols.CreateVolume(ctx, "ns", Volume{Name: vol, Size: "8Gi"})
		spec := store.Spec{Image: "demo", DataVolumes: []store.DataVolume{{Volume: store.Volume{Name: vol}, MountPath: "/home/jovyan/vol-1"}}}
		for _, name := range []string{"a", "b"} {
			if _, err := fx.st.CreateServer(ctx, store.Server{Namespace: "ns", Name: fmt.Sprintf("%s-%d", name, round), Phase: store.PhaseStopped, Spec: spec}); err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, 2)
		go func() { _, err := fx.m.Start(ctx, "ns", fmt.Sprintf("a-%d", round)); errs <- err }()
		go func() { _, err := other.Start(ctx, "ns", fmt.Sprintf("b-%d", round)); errs <- err }()
		var started, refused int
		for range 2 {
			var fe *form.FieldError
			switch err := <-errs; {
			case err == nil:
				started++
			case errors.As(err, &fe) && fe.Code == "volume.mounted":
				refused++
			default:
				t.Fatalf("round %d: Start = %v", round, err)
			}
		}
		if started != 1 || refused != 1 {
			t.Fatalf("round %d: %d started and %d refused, want one of each", round, started, refused)
		}
	}
}
