package web

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store/memory"
)

// newClockedWeb serves the web layer over st on the clock clk, with one
// image, the console and a culler (idle timeout 2 h, warnings 15 min
// ahead); alice and bob are users, root an administrator. extra adjusts
// the options.
func newClockedWeb(t *testing.T, clk *testClock, st *memory.Store, im form.Image, extra ...func(*Options)) (*apiFixture, *spawner.Culler) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mgr := spawner.NewManager(st, idleBackend{}, form.Config{Images: []form.Image{im}},
		spawner.WithLogger(log), spawner.WithClock(clk.now))
	culler := mgr.NewCuller(spawner.CullConfig{Enabled: true, IdleTimeout: 2 * time.Hour, WarnBefore: 15 * time.Minute})
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	later := clk.now().Add(24 * time.Hour)
	ids := headerAuth{
		"alice": {UserID: "alice", Namespace: "alice", Expires: later},
		"bob":   {UserID: "bob", Namespace: "bob", Expires: later},
		"root":  {UserID: "root", Namespace: "root", Admin: true, Expires: later},
	}
	signer, err := auth.NewSigner([]auth.Key{{ID: "k", Secret: []byte(strings.Repeat("k", 32))}}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	policy := auth.NewPolicy(nil, nil, st)
	opts := Options{Servers: mgr, Store: st, Auth: ids, Policy: policy, Now: clk.now,
		Console: spawner.NewConsole(st, mgr, clk.now), Culling: culler,
		Sessions: auth.NewSessions(st, signer, auth.Cookies{}, nil), Sharing: auth.NewSharing(st, policy, log),
		Tokens: auth.NewTokens(st, func(string) int { return 0 }, log), Catalog: cat, Logger: log}
	for _, f := range extra {
		f(&opts)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &apiFixture{h: e, st: st}, culler
}
