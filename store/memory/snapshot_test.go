package memory

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// TestSnapshotRoundTrip: everything a restart must keep comes back from a
// snapshot file, versions included.
func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	a := New()
	srv, err := a.CreateServer(ctx, store.Server{Namespace: "alice", Name: "lab", Phase: store.PhaseRunning})
	if err != nil {
		t.Fatal(err)
	}
	key := srv.Key()
	now := time.Now().Truncate(time.Millisecond)
	mustNoErr(t, a.SetRoute(ctx, key, store.Route{Target: "http://127.0.0.1:1", Token: "t", Namespace: "alice"}))
	mustNoErr(t, a.MarkActivity(ctx, map[store.Key]time.Time{key: now}))
	mustNoErr(t, a.AppendEvent(ctx, key, store.Event{Reason: "Started"}))
	mustNoErr(t, a.PutUser(ctx, store.User{ID: "alice", Namespace: "alice"}))
	if _, err := a.CreateNamespace(ctx, store.Namespace{Name: "alice", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	mustNoErr(t, a.CreateToken(ctx, store.Token{ID: "tok", Hash: "h", User: "alice", ExpiresAt: now.Add(time.Hour)}))
	mustNoErr(t, a.RevokeSession(ctx, "sid", now.Add(time.Hour)))
	mustNoErr(t, a.RecordActivity(ctx, map[store.Key]store.Mark{key: {At: now, Source: store.SourceStart}}))
	ended, err := a.CreateServer(ctx, store.Server{Namespace: "alice", Name: "old", Phase: store.PhaseRunning, StartedAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ended.Phase = store.PhaseStopped
	if _, err := a.UpdateServer(ctx, ended); err != nil {
		t.Fatal(err)
	}
	runs, _ := a.Runs(ctx, now.Add(-2*time.Hour), now.Add(time.Hour))

	path := filepath.Join(t.TempDir(), "state.json")
	mustNoErr(t, a.SaveFile(path))
	b := New()
	mustNoErr(t, b.RestoreFile(path))

	got, err := b.GetServer(ctx, "alice", "lab")
	if err != nil || got.Version != srv.Version || got.Phase != store.PhaseRunning {
		t.Errorf("server after restore = %+v, %v, want version %d running", got, err, srv.Version)
	}
	if r, err := b.GetRoute(ctx, key); err != nil || r.Target != "http://127.0.0.1:1" {
		t.Errorf("route after restore = %+v, %v", r, err)
	}
	if last, err := b.LastActivity(ctx, key); err != nil || !last.Equal(now) {
		t.Errorf("activity after restore = %v, %v, want %v", last, err, now)
	}
	if ev, _ := b.ListEvents(ctx, key); len(ev) != 1 {
		t.Errorf("events after restore = %v", ev)
	}
	if _, err := b.TokenByHash(ctx, "h"); err != nil {
		t.Errorf("token after restore: %v", err)
	}
	if revoked, _ := b.IsSessionRevoked(ctx, "sid"); !revoked {
		t.Error("revoked session forgotten by the restore")
	}
	if n, err := b.GetNamespace(ctx, "alice"); err != nil || n.Owner != "alice" {
		t.Errorf("namespace after restore = %+v, %v", n, err)
	}
	if acts, err := b.Activities(ctx, []store.Key{key}); err != nil || acts[key].Source != store.SourceStart {
		t.Errorf("activity source after restore = %+v, %v, want %q", acts[key], err, store.SourceStart)
	}
	if got, err := b.Runs(ctx, now.Add(-2*time.Hour), now.Add(time.Hour)); err != nil || len(runs) == 0 || len(got) != len(runs) {
		t.Errorf("runs after restore = %+v, %v, want the %d before: %+v (the usage history)", got, err, len(runs), runs)
	}
}

func TestRestoreMissingFileIsEmpty(t *testing.T) {
	if err := New().RestoreFile(filepath.Join(t.TempDir(), "none.json")); err != nil {
		t.Errorf("RestoreFile(missing) = %v, want nil", err)
	}
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
