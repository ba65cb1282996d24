package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newCullingFixture is the API fixture with a culler: idle timeout 2 h,
// warnings 15 min ahead, and alice's desktop "lab" running since t0 with
// a mouse move then.
func newCullingFixture(t *testing.T, t0 time.Time) (*apiFixture, *spawner.Culler, *testClock) {
	t.Helper()
	clk := &testClock{t: t0}
	st := memory.NewWithClock(clk.now)
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	for _, u := range []string{"alice", "bob", "root"} {
		if _, err := st.CreateNamespace(ctx, store.Namespace{Name: u, Owner: u}); err != nil {
			t.Fatal(err)
		}
	}
	srv := store.Server{Namespace: "alice", Name: "lab", Phase: store.PhaseRunning, CreatedAt: t0, StartedAt: t0,
		Spec: store.Spec{Image: "desktop", Kind: form.KindDesktop}}
	if _, err := st.CreateServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordActivity(ctx, map[store.Key]store.Mark{srv.Key(): {At: t0, Source: store.SourceMouse}}); err != nil {
		t.Fatal(err)
	}
	fx, culler := newClockedWeb(t, clk, st, form.Image{ID: "desktop", Kind: form.KindDesktop, Command: []string{"desktop"}})
	return fx, culler, clk
}

func (fx *apiFixture) page(t *testing.T, user, lang, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-User", user)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", lang)
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestCullWarningBannerKeepAndReason walks a desktop through the culler as
// its user and an administrator see it: the warning (cullAt, the banner
// in French with the reason and "keep it running"), the admin dry run,
// "keep it running" cancelling the warning, and after a cull the deep
// link's page saying why.
func TestCullWarningBannerKeepAndReason(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 14, 2, 0, 0, time.UTC)
	fx, culler, clk := newCullingFixture(t, t0)
	ctx := context.Background()
	clk.advance(time.Hour + 45*time.Minute) // the warning's window opens
	if _, err := culler.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	_, got := fx.call("alice", "en", "GET", "/api/v1/namespaces/alice/servers/lab", "")
	if got["cullAt"] != "2026-12-01T16:02:00Z" || got["lastActivitySource"] != store.SourceMouse {
		t.Fatalf("server after the warning = cullAt %v, source %v; want 16:02 and mouse", got["cullAt"], got["lastActivitySource"])
	}
	_, body := fx.page(t, "alice", "fr", "/")
	for _, want := range []string{"lab sera arrêté à 16:02 UTC", "inactif depuis 1 h 45 min ; dernière activité : souris sur le bureau à 14:02 UTC",
		`data-action="keep"`, "Le garder en marche", "actif il y a 1 h 45 min — souris sur le bureau"} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page in French lacks %q", want)
		}
	}
	res, out := fx.call("root", "en", "POST", "/api/v1/admin/cull", `{"dryRun":true}`)
	items, _ := out["items"].([]any)
	if res.StatusCode != http.StatusOK || len(items) != 1 {
		t.Fatalf("admin dry run = %d %v, want one item", res.StatusCode, out)
	}
	item := items[0].(map[string]any)
	if item["action"] != spawner.CullActionWait || item["reason"] != store.CullIdle ||
		item["why"] != "idle for 1 h 45 min; last activity: mouse on the desktop at 14:02 UTC" {
		t.Errorf("dry-run item = %v, want wait, idle, and the reason in words", item)
	}
	if res, _ := fx.call("alice", "en", "POST", "/api/v1/admin/cull", `{"dryRun":true}`); res.StatusCode != http.StatusNotFound {
		t.Errorf("admin cull as a user = %d, want 404", res.StatusCode)
	}
	if res, _ := fx.call("bob", "en", "POST", "/api/v1/namespaces/alice/servers/lab/keep", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("bob keeps alice's server running = %d, want 404", res.StatusCode)
	}
	clk.advance(time.Minute)
	res, out = fx.call("alice", "en", "POST", "/api/v1/namespaces/alice/servers/lab/keep", "")
	if res.StatusCode != http.StatusOK || out["cullAt"] != nil || out["lastActivitySource"] != store.SourceKeep {
		t.Fatalf("keep it running = %d %v, want 200, no cullAt, source keep", res.StatusCode, out)
	}
	clk.advance(30 * time.Minute) // past the old cullAt
	if _, err := culler.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, out := fx.call("alice", "en", "GET", "/api/v1/namespaces/alice/servers/lab", ""); out["phase"] != "running" {
		t.Fatalf("phase after keep it running and the old cullAt = %v, want running", out["phase"])
	}
	clk.advance(2 * time.Hour) // idle again: warned, then culled
	if _, err := culler.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	clk.advance(15 * time.Minute)
	if _, err := culler.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	code, body := fx.page(t, "alice", "en", "/notebook/alice/lab/lab/tree/work.ipynb")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "lab was stopped at 18:33 UTC by the idle culler: idle for 2 h 45 min; last activity: “keep it running” at 15:48 UTC") ||
		!strings.Contains(body, `data-action="start"`) {
		t.Errorf("deep link after a cull = %d, want 503 with the reason and Start; body:\n%s", code, body)
	}
}
