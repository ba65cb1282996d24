package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/test/poll"
)

// TestAdminConsoleInChromium: an administrator, in French, filters
// "idle for more than 1 h", previews the stop of every matching server,
// confirms, and sees them stopped while the active one runs on; a user
// who opens /admin gets 404. A screenshot of the console is saved as an
// artifact (go test -artifacts, or $SPAWNHUB_ADMIN_SCREENSHOT).
func TestAdminConsoleInChromium(t *testing.T) {
	addr := startRedis(t)
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir(),
		"SPAWNHUB_STORE_DRIVER=redis", "SPAWNHUB_STORE_REDIS_ADDR=" + addr,
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("a", 40), "SPAWNHUB_AUTH_ADMINS_EMAILS=root"},
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }})
	alice = login(t, hub.URL, "alice")
	var names []string
	for range 3 {
		srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
		names = append(names, srv["name"].(string))
		waitRunning(t, alice, hub.URL, "alice", names[len(names)-1])
	}
	// Two of them were last used two hours ago: the activity set, as the
	// proxy would have left it.
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	defer rdb.Close()
	old := float64(time.Now().Add(-2 * time.Hour).UnixMilli())
	for _, n := range names[:2] {
		if err := rdb.ZAddXX(context.Background(), "spawnhub:activity", goredis.Z{Score: old, Member: "alice/" + n}).Err(); err != nil {
			t.Fatal(err)
		}
	}

	res, err := alice.Get(hub.URL + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /admin as alice: %d, want 404", res.StatusCode)
	}
	userBrowser := browser(t)
	run(t, userBrowser, "a user opens /admin",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch]`)),
		chromedp.Navigate(hub.URL+"/admin"),
	)
	if body := value(t, userBrowser, chromedp.Text(chromedp.CSS(`body`))); strings.Contains(body, "Administration") || !strings.Contains(strings.ToLower(body), "not found") {
		t.Errorf("alice's browser on /admin shows %q, want not found", body)
	}

	ctx := browser(t)
	rows := `#admin-table tbody tr[data-server]`
	run(t, ctx, "the administrator opens the console in French",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "root"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		// The signed-in page (the sign-in page has a header too: a
		// navigation before the sign-in's redirect lands is aborted).
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch]`)),
		chromedp.Navigate(hub.URL+"/admin?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`#admin-table`)),
	)
	if n := count3(t, ctx, rows); n != 3 {
		t.Errorf("the console lists %d servers, want 3", n)
	}
	run(t, ctx, "filter idle for more than 1 h",
		chromedp.SetValue(chromedp.CSS(`#idle-for`), "1h"),
		chromedp.Click(chromedp.CSS(`#apply-filter`)),
	)
	poll.Until(t, stepTimeout, "the filter in the URL", func() bool {
		return strings.Contains(value(t, ctx, chromedp.Location()), "idleFor=1h")
	})
	run(t, ctx, "the filtered page", chromedp.WaitVisible(chromedp.CSS(`#totals`)))
	if n := count3(t, ctx, rows); n != 2 {
		t.Errorf("idle > 1 h lists %d servers, want 2", n)
	}
	if totals := value(t, ctx, chromedp.Text(chromedp.CSS(`#totals`))); !strings.Contains(totals, "2 serveurs") {
		t.Errorf("totals = %q, want 2 serveurs", totals)
	}
	saveScreenshot(t, ctx)
	run(t, ctx, "preview the stop of every matching server",
		chromedp.Click(chromedp.CSS(`#stop-matching`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-stop`)),
	)
	if s := value(t, ctx, chromedp.Text(chromedp.CSS(`#stop-summary`))); !strings.Contains(s, "2 serveurs seront arrêtés") {
		t.Errorf("preview says %q", s)
	}
	for _, n := range names {
		if p := phaseOf(t, alice, hub.URL, "alice", n); p != "running" {
			t.Errorf("after the preview %s is %v, want running", n, p)
		}
	}
	run(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`#confirm-stop`)),
		chromedp.WaitVisible(chromedp.CSS(`#back-to-console`)),
	)
	if s := value(t, ctx, chromedp.Text(chromedp.CSS(`#stop-summary`))); !strings.Contains(s, "2 serveurs arrêtés") {
		t.Errorf("result says %q", s)
	}
	for i, n := range names {
		want := "stopped"
		if i == 2 {
			want = "running"
		}
		if p := phaseOf(t, alice, hub.URL, "alice", n); p != want {
			t.Errorf("after the stop %s is %v, want %s", n, p, want)
		}
	}
	run(t, ctx, "back to the console, then the stopped servers",
		chromedp.Click(chromedp.CSS(`#back-to-console`)),
		chromedp.WaitVisible(chromedp.CSS(`#totals`)),
	)
	if n := count3(t, ctx, rows); n != 0 {
		t.Errorf("idle > 1 h still lists %d servers after the stop", n)
	}
	run(t, ctx, "the stopped ones", chromedp.Navigate(hub.URL+"/admin?phase=stopped"), chromedp.WaitVisible(chromedp.CSS(`#totals`)))
	for _, n := range names[:2] {
		sel := `#admin-table tr[data-server="alice/` + n + `"] td[data-part=phase]`
		if p := value(t, ctx, chromedp.Text(chromedp.CSS(sel))); p != "arrêté" {
			t.Errorf("%s shows %q, want arrêté", n, p)
		}
	}
}

// count3 counts the elements a selector matches.
func count3(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return value(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
}

func saveScreenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	png := value(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(t.ArtifactDir(), "admin-console.png")
	if p := os.Getenv("SPAWNHUB_ADMIN_SCREENSHOT"); p != "" {
		path = p
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the console: %s", path)
}
