package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func server(ns, name string) store.Server {
	return store.Server{
		Namespace: ns,
		Name:      name,
		Phase:     store.PhaseStopped,
		Spec: store.Spec{
			Image:          "jupyter",
			ContainerImage: "quay.io/jupyter/base-notebook:latest",
			Kind:           "jupyter",
			CPU:            "1",
			Workspace:      &store.Volume{Name: name + "-workspace", Size: "16Gi", New: true},
			DataVolumes:    []store.DataVolume{{Volume: store.Volume{Name: "data"}, MountPath: "/home/jovyan/data"}},
			Configurations: []string{"git"},
			Env:            []store.EnvVar{{Name: "A", Value: "1"}},
		},
		CreatedAt: ms(0),
		UpdatedAt: ms(0),
	}
}

func testServers(t *testing.T, newStore NewStore) {
	t.Run("create get", func(t *testing.T) { testCreateGet(t, newStore(t)) })
	t.Run("list", func(t *testing.T) { testListServers(t, newStore(t)) })
	t.Run("update", func(t *testing.T) { testUpdateServer(t, newStore(t)) })
	t.Run("delete", func(t *testing.T) { testDeleteServer(t, newStore(t)) })
	t.Run("copies", func(t *testing.T) { testServerCopies(t, newStore(t)) })
}

func testCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := server("alice", "lab")
	got, err := s.CreateServer(ctx, want)
	wantErr(t, "CreateServer", err, nil)
	want.Version = 1
	if !equalServer(got, want) {
		t.Errorf("CreateServer = %+v, want %+v", got, want)
	}
	got, err = s.GetServer(ctx, "alice", "lab")
	wantErr(t, "GetServer", err, nil)
	if !equalServer(got, want) {
		t.Errorf("GetServer = %+v, want %+v", got, want)
	}
	_, err = s.CreateServer(ctx, server("alice", "lab"))
	wantErr(t, "CreateServer of a taken name", err, store.ErrConflict)
	_, err = s.GetServer(ctx, "alice", "nope")
	wantErr(t, "GetServer of an unknown server", err, store.ErrNotFound)
	_, err = s.GetServer(ctx, "bob", "lab")
	wantErr(t, "GetServer in another namespace", err, store.ErrNotFound)
	if _, err := s.CreateServer(ctx, server("bob", "lab")); err != nil {
		t.Fatalf("CreateServer of the same name in another namespace: %v", err)
	}
}

func testListServers(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, k := range []string{"bob/zeta", "alice/lab", "bob/alpha", "alice/analysis", "carol/x"} {
		key, _ := store.ParseKey(k)
		if _, err := s.CreateServer(ctx, server(key.Namespace, key.Name)); err != nil {
			t.Fatalf("CreateServer %s: %v", k, err)
		}
	}
	for _, tt := range []struct {
		ns   string
		want []string
	}{
		{"alice", []string{"alice/analysis", "alice/lab"}},
		{"bob", []string{"bob/alpha", "bob/zeta"}},
		{"nobody", nil},
		{"", []string{"alice/analysis", "alice/lab", "bob/alpha", "bob/zeta", "carol/x"}},
	} {
		list, err := s.ListServers(ctx, tt.ns)
		if err != nil {
			t.Fatalf("ListServers(%q): %v", tt.ns, err)
		}
		var got []string
		for _, srv := range list {
			got = append(got, srv.Key().String())
			if srv.Version != 1 || srv.Spec.Image != "jupyter" {
				t.Errorf("ListServers(%q) item %s = %+v, want version 1 and its spec", tt.ns, srv.Key(), srv)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ListServers(%q) = %v, want %v", tt.ns, got, tt.want)
		}
	}
}

func testUpdateServer(t *testing.T, s store.Store) {
	ctx := t.Context()
	v1, err := s.CreateServer(ctx, server("alice", "lab"))
	wantErr(t, "CreateServer", err, nil)

	next := v1
	next.Phase = store.PhaseQueued
	next.Owner = "replica-a"
	v2, err := s.UpdateServer(ctx, next)
	wantErr(t, "UpdateServer", err, nil)
	if v2.Version != 2 || v2.Phase != store.PhaseQueued {
		t.Errorf("UpdateServer = version %d phase %s, want version 2 phase queued", v2.Version, v2.Phase)
	}
	got, err := s.GetServer(ctx, "alice", "lab")
	wantErr(t, "GetServer", err, nil)
	if !equalServer(got, v2) {
		t.Errorf("GetServer after update = %+v, want %+v", got, v2)
	}

	stale := v1
	stale.Phase = store.PhaseFailed
	_, err = s.UpdateServer(ctx, stale)
	wantErr(t, "UpdateServer with a stale version", err, store.ErrConflict)
	if got, _ := s.GetServer(ctx, "alice", "lab"); got.Phase != store.PhaseQueued {
		t.Errorf("phase after a stale update = %s, want queued", got.Phase)
	}

	v3, err := s.UpdateServer(ctx, v2)
	wantErr(t, "UpdateServer again", err, nil)
	if v3.Version != 3 {
		t.Errorf("version after two updates = %d, want 3", v3.Version)
	}

	wantErr(t, "DeleteServer", s.DeleteServer(ctx, "alice", "lab", v3.Version), nil)
	_, err = s.UpdateServer(ctx, v3)
	wantErr(t, "UpdateServer of a deleted server", err, store.ErrNotFound)
}

func testDeleteServer(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := store.Key{Namespace: "alice", Name: "lab"}
	other := store.Key{Namespace: "alice", Name: "other"}
	for _, k := range []store.Key{key, other} {
		if _, err := s.CreateServer(ctx, server(k.Namespace, k.Name)); err != nil {
			t.Fatalf("CreateServer %s: %v", k, err)
		}
		wantErr(t, "SetRoute", s.SetRoute(ctx, k, store.Route{Target: "http://127.0.0.1:1", Namespace: k.Namespace}), nil)
		wantErr(t, "MarkActivity", s.MarkActivity(ctx, map[store.Key]time.Time{k: ms(10)}), nil)
		wantErr(t, "AppendEvent", s.AppendEvent(ctx, k, store.Event{Time: ms(1), Type: store.EventNormal, Reason: "Created"}), nil)
	}

	wantErr(t, "DeleteServer with a stale version", s.DeleteServer(ctx, "alice", "lab", 7), store.ErrConflict)
	if _, err := s.GetServer(ctx, "alice", "lab"); err != nil {
		t.Fatalf("GetServer after a refused delete: %v", err)
	}
	wantErr(t, "DeleteServer", s.DeleteServer(ctx, "alice", "lab", 1), nil)

	_, err := s.GetServer(ctx, "alice", "lab")
	wantErr(t, "GetServer after delete", err, store.ErrNotFound)
	_, err = s.GetRoute(ctx, key)
	wantErr(t, "GetRoute after delete", err, store.ErrNotFound)
	_, err = s.LastActivity(ctx, key)
	wantErr(t, "LastActivity after delete", err, store.ErrNotFound)
	events, err := s.ListEvents(ctx, key)
	wantErr(t, "ListEvents after delete", err, nil)
	if len(events) != 0 {
		t.Errorf("ListEvents after delete = %d events, want 0", len(events))
	}
	list, err := s.ListServers(ctx, "alice")
	wantErr(t, "ListServers after delete", err, nil)
	if len(list) != 1 || list[0].Name != "other" {
		t.Errorf("ListServers after delete = %v, want only alice/other", list)
	}
	wantErr(t, "DeleteServer again", s.DeleteServer(ctx, "alice", "lab", 1), store.ErrNotFound)

	// The other server keeps everything.
	if _, err := s.GetRoute(ctx, other); err != nil {
		t.Errorf("GetRoute of the other server: %v", err)
	}
	if _, err := s.LastActivity(ctx, other); err != nil {
		t.Errorf("LastActivity of the other server: %v", err)
	}
	if events, _ := s.ListEvents(ctx, other); len(events) != 1 {
		t.Errorf("ListEvents of the other server = %d events, want 1", len(events))
	}
}

// testServerCopies checks that callers cannot change stored state through
// the values they pass or receive.
func testServerCopies(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := server("alice", "lab")
	created, err := s.CreateServer(ctx, in)
	wantErr(t, "CreateServer", err, nil)
	in.Spec.Workspace.Name = "changed-in"
	in.Spec.Configurations[0] = "changed-in"
	created.Spec.DataVolumes[0].MountPath = "changed-created"
	got, err := s.GetServer(ctx, "alice", "lab")
	wantErr(t, "GetServer", err, nil)
	got.Spec.Env[0].Value = "changed-got"
	again, err := s.GetServer(ctx, "alice", "lab")
	wantErr(t, "GetServer", err, nil)
	want := server("alice", "lab")
	want.Version = 1
	if !equalServer(again, want) {
		t.Errorf("GetServer after callers changed their copies = %+v, want %+v", again, want)
	}
}

// equalServer compares records deeply, times by the instant they name.
func equalServer(a, b store.Server) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(s store.Server) store.Server {
	for _, t := range []*time.Time{&s.CreatedAt, &s.StartedAt, &s.StoppedAt, &s.UpdatedAt} {
		*t = t.UTC()
	}
	return s
}
