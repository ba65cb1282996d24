package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// newAdminFixture serves the web layer with the console on a memory store
// at t0: in each of alice's and bob's namespaces, servers lab-0…lab-4
// running since t0-10h and idle i×30 min, and a stopped one.
func newAdminFixture(t *testing.T, t0 time.Time, extra ...func(*Options)) *apiFixture {
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
	for _, ns := range []string{"alice", "bob"} {
		for i := range 5 {
			seedRunning(t, st, ns, fmt.Sprintf("lab-%d", i), t0.Add(-10*time.Hour), t0.Add(-time.Duration(i)*30*time.Minute))
		}
		spec := store.Spec{Image: "demo", Kind: form.KindDemo, CPU: "1", Memory: "1Gi"}
		if _, err := st.CreateServer(ctx, store.Server{Namespace: ns, Name: "off", Phase: store.PhaseStopped, Spec: spec}); err != nil {
			t.Fatal(err)
		}
	}
	fx, _ := newClockedWeb(t, clk, st, form.Image{ID: "demo", Kind: form.KindDemo, Command: []string{"demo"}}, extra...)
	return fx
}

// seedRunning stores a running demo server started at start, last active
// at active.
func seedRunning(t *testing.T, st store.Store, ns, name string, start, active time.Time) {
	t.Helper()
	ctx := context.Background()
	spec := store.Spec{Image: "demo", Kind: form.KindDemo, CPU: "1", Memory: "2Gi"}
	srv, err := st.CreateServer(ctx, store.Server{Namespace: ns, Name: name, Phase: store.PhaseStopped, Spec: spec, CreatedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	srv.Phase, srv.StartedAt, srv.UpdatedAt = store.PhaseRunning, start, start
	if _, err := st.UpdateServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordActivity(ctx, map[store.Key]store.Mark{srv.Key(): {At: active, Source: store.SourceKernel}}); err != nil {
		t.Fatal(err)
	}
}

func names(items any) []string {
	var out []string
	list, _ := items.([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		out = append(out, str(m["namespace"])+"/"+str(m["name"]))
	}
	return out
}

func TestAdminServersFilterSortPage(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	fx := newAdminFixture(t, t0)
	res, body := fx.call("root", "en", http.MethodGet, "/api/v1/admin/servers?idleFor=61m&sort=idle&limit=3", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET admin/servers: %d %v", res.StatusCode, body)
	}
	// idle 2 h (lab-4), then 1 h 30 (lab-3); lab-2 (1 h) is not over 61 min. Ties go by key.
	want := []string{"alice/lab-4", "bob/lab-4", "alice/lab-3"}
	if got := names(body["items"]); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("first page = %v, want %v", got, want)
	}
	totals, _ := body["totals"].(map[string]any)
	if totals["servers"] != float64(4) || totals["cpuMilli"] != float64(4000) || totals["memoryBytes"] != float64(8<<30) {
		t.Errorf("totals = %v, want 4 servers, 4 CPUs, 8 GiB", totals)
	}
	first, _ := body["items"].([]any)
	row, _ := first[0].(map[string]any)
	if row["owner"] != "alice" || row["idleFor"] != "2h0m0s" || row["lastActivitySource"] != store.SourceKernel {
		t.Errorf("row = %v, want owner alice, idle 2h0m0s, source kernel", row)
	}
	next := str(body["next"])
	if next == "" {
		t.Fatal("no next cursor after a full page")
	}
	_, body = fx.call("root", "en", http.MethodGet, "/api/v1/admin/servers?idleFor=61m&sort=idle&limit=3&cursor="+next, "")
	if got := names(body["items"]); strings.Join(got, " ") != "bob/lab-3" || body["next"] != nil {
		t.Errorf("second page = %v next %v, want [bob/lab-3] and no next", got, body["next"])
	}
	_, body = fx.call("root", "en", http.MethodGet, "/api/v1/admin/servers?namespace=bob&phase=stopped", "")
	if got := names(body["items"]); strings.Join(got, " ") != "bob/off" {
		t.Errorf("bob's stopped servers = %v, want [bob/off]", got)
	}
}

func TestAdminQueryErrorsNameTheField(t *testing.T) {
	fx := newAdminFixture(t, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC))
	for _, tt := range []struct{ query, field string }{
		{"sort=size", "sort"}, {"limit=0", "limit"}, {"limit=5000", "limit"}, {"phase=sleeping", "phase"},
		{"idleFor=soon", "idleFor"}, {"idleFor=-1h", "idleFor"}, {"gpu=maybe", "gpu"},
	} {
		res, body := fx.call("root", "fr", http.MethodGet, "/api/v1/admin/servers?"+tt.query, "")
		if res.StatusCode != http.StatusBadRequest || body["field"] != tt.field || str(body["error"]) == "" {
			t.Errorf("?%s: %d %v, want 400 naming %s", tt.query, res.StatusCode, body, tt.field)
		}
	}
	res, body := fx.call("root", "fr", http.MethodGet, "/api/v1/admin/usage?from=2026-12-02&to=2026-12-01", "")
	if res.StatusCode != http.StatusBadRequest || body["field"] != "to" || !strings.Contains(str(body["error"]), "période") {
		t.Errorf("usage with to before from: %d %v, want 400 naming to, in French", res.StatusCode, body)
	}
	for _, b := range []string{`{}`, `{"filter":{},"servers":[{"namespace":"a","name":"b"}]}`, `{"filter":{"phase":"x"}}`, `{"servers":[{"namespace":"a"}]}`} {
		res, body := fx.call("root", "en", http.MethodPost, "/api/v1/admin/stop", b)
		if res.StatusCode != http.StatusBadRequest || str(body["field"]) == "" {
			t.Errorf("stop %s: %d %v, want 400 naming a field", b, res.StatusCode, body)
		}
	}
}

func TestAdminAPIIsForAdministratorsOnly(t *testing.T) {
	fx := newAdminFixture(t, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC))
	for _, user := range []string{"alice", "bob", "nobody"} {
		for _, c := range []struct{ method, path, body string }{
			{http.MethodGet, "/api/v1/admin/servers", ""},
			{http.MethodPost, "/api/v1/admin/stop", `{"filter":{}}`},
			{http.MethodGet, "/api/v1/admin/usage", ""},
			{http.MethodPost, "/api/v1/admin/cull", `{"dryRun":true}`},
		} {
			res, _ := fx.call(user, "en", c.method, c.path, c.body)
			want := http.StatusNotFound
			if user == "nobody" {
				want = http.StatusUnauthorized
			}
			if res.StatusCode != want {
				t.Errorf("%s %s as %s: %d, want %d", c.method, c.path, user, res.StatusCode, want)
			}
		}
	}
	if phase := phaseOf(t, fx.st, "alice", "lab-0"); phase != store.PhaseRunning {
		t.Errorf("alice/lab-0 is %s after refused stops, want running", phase)
	}
}

func phaseOf(t *testing.T, st store.Store, ns, name string) store.Phase {
	t.Helper()
	srv, err := st.GetServer(context.Background(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return srv.Phase
}

func TestAdminStopPreviewThenStop(t *testing.T) {
	fx := newAdminFixture(t, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC))
	filter := `{"filter":{"idleFor":"1h15m","namespace":"alice"},"dryRun":true}`
	res, body := fx.call("root", "en", http.MethodPost, "/api/v1/admin/stop", filter)
	if res.StatusCode != http.StatusOK || body["dryRun"] != true || body["count"] != float64(2) {
		t.Fatalf("dry run: %d %v, want 2 servers that would stop", res.StatusCode, body)
	}
	if got := names(body["items"]); strings.Join(got, " ") != "alice/lab-3 alice/lab-4" {
		t.Errorf("dry run lists %v, want alice/lab-3 and alice/lab-4", got)
	}
	for _, n := range []string{"lab-3", "lab-4"} {
		if p := phaseOf(t, fx.st, "alice", n); p != store.PhaseRunning {
			t.Errorf("after the dry run alice/%s is %s, want running", n, p)
		}
	}
	res, body = fx.call("root", "en", http.MethodPost, "/api/v1/admin/stop", strings.Replace(filter, "true", "false", 1))
	if res.StatusCode != http.StatusOK || body["count"] != float64(2) {
		t.Fatalf("stop: %d %v, want 2 stopped", res.StatusCode, body)
	}
	for _, n := range []string{"lab-3", "lab-4"} {
		if p := phaseOf(t, fx.st, "alice", n); p != store.PhaseStopped {
			t.Errorf("after the stop alice/%s is %s, want stopped", n, p)
		}
	}
	if p := phaseOf(t, fx.st, "bob", "lab-4"); p != store.PhaseRunning {
		t.Errorf("bob/lab-4 is %s, want running (another namespace)", p)
	}
	res, body = fx.call("root", "en", http.MethodPost, "/api/v1/admin/stop", `{"servers":[{"namespace":"bob","name":"lab-0"},{"namespace":"bob","name":"nope"}]}`)
	items, _ := body["items"].([]any)
	if res.StatusCode != http.StatusOK || len(items) != 2 || body["count"] != float64(1) || phaseOf(t, fx.st, "bob", "lab-0") != store.PhaseStopped {
		t.Errorf("stop of a list: %d %v, want bob/lab-0 stopped and an error for bob/nope", res.StatusCode, body)
	}
}

func TestAdminUsageJSONAndCSV(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	fx := newAdminFixture(t, t0)
	// 10 servers of 1 CPU and 2 GiB, running since t0-10h: from 08:00 to now (14:00), 6 h each.
	res, body := fx.call("root", "en", http.MethodGet, "/api/v1/admin/usage?from=2026-12-01T08:00:00Z&to=2026-12-02", "")
	total, _ := body["total"].(map[string]any)
	if res.StatusCode != http.StatusOK || total["cpuHours"] != float64(60) || total["memoryGiBHours"] != float64(120) || total["runs"] != float64(10) {
		t.Fatalf("usage: %d %v, want 60 CPU-hours and 120 GiB-hours over 10 runs", res.StatusCode, body)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/admin/usage?from=2026-12-01T08:00:00Z&to=2026-12-02", nil)
	req.Header.Set("X-User", "root")
	req.Header.Set("Accept", "text/csv")
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	want := "group,name,from,to,runs,cpu_hours,memory_gib_hours,gpu_hours\n" +
		"namespace,alice,2026-12-01T08:00:00Z,2026-12-02T00:00:00Z,5,30,60,0\n" +
		"namespace,bob,2026-12-01T08:00:00Z,2026-12-02T00:00:00Z,5,30,60,0\n" +
		"image,demo,2026-12-01T08:00:00Z,2026-12-02T00:00:00Z,10,60,120,0\n" +
		"total,total,2026-12-01T08:00:00Z,2026-12-02T00:00:00Z,10,60,120,0\n"
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") || rec.Body.String() != want {
		t.Errorf("CSV: %d %q\n%s\nwant\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), want)
	}
}
