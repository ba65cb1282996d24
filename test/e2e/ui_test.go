package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts a headless Chromium for the test; it is closed (and its
// process ended) when the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	requireTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("chromium"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, for as long as ctx lives
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestUIInChromium drives the pages in a real browser: sign in, launch in
// one click and be taken into the server (on the workspace origin, signed
// in there through the hub), stop, open the stopped server's deep link and
// start it from there, and see a form error next to its field in French.
func TestUIInChromium(t *testing.T) {
	hub, _ := startDemoHub(t, "alice") // alice's API client stops her servers at the end
	ctx := browser(t)
	origin := workspaceOrigin(hub.URL, "alice")

	run(t, ctx, "sign in",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch][data-image=demo]`)),
	)
	run(t, ctx, "launch the demo server",
		chromedp.Click(chromedp.CSS(`button[data-action=launch][data-image=demo]:not([data-new])`)),
	)
	run(t, ctx, "taken into the server", chromedp.WaitVisible(chromedp.CSS(`body > h1`)))
	if text := value(t, ctx, chromedp.Text(chromedp.CSS(`body > h1`))); text != "spawnhub demo server" {
		t.Errorf("Launch took the browser to a page titled %q, want the demo server", text)
	}
	url := value(t, ctx, chromedp.Location())
	if !strings.HasPrefix(url, origin+"/notebook/alice/") {
		t.Errorf("Launch took the browser to %q, want the server on %s", url, origin)
	}
	deepLink := url + "?from=bookmark" // on the workspace origin
	run(t, ctx, "stop it",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-phase=running] button.when-running[data-action=stop]`)),
		chromedp.Click(chromedp.CSS(`tr[data-phase=running] button.when-running[data-action=stop]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-phase=stopped] button[data-action=start]`)),
	)
	run(t, ctx, "start from the deep link",
		chromedp.Navigate(deepLink),
		chromedp.WaitVisible(chromedp.CSS(`#start`)),
		chromedp.Click(chromedp.CSS(`#start`)),
		chromedp.WaitVisible(chromedp.CSS(`body > h1`)),
	)
	if landed := value(t, ctx, chromedp.Location()); landed != deepLink {
		t.Errorf("after Start the browser is at %q, want back at the deep link %q", landed, deepLink)
	}
	run(t, ctx, "form error next to its field, in French",
		chromedp.Navigate(hub.URL+"/namespaces/alice/new?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`#spawn-form`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Mauvais_Nom"),
		chromedp.Click(chromedp.CSS(`#spawn-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-for=name]`)),
	)
	if fieldError := value(t, ctx, chromedp.Text(chromedp.CSS(`[data-error-for=name]`))); !strings.Contains(fieldError, "minuscules") {
		t.Errorf("error next to the name field = %q, want the French rule", fieldError)
	}
	if os.Getenv("SPAWNHUB_UI_SCREENSHOT") != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(os.Getenv("SPAWNHUB_UI_SCREENSHOT"), png, 0o644)
		}
	}
}

// stepTimeout bounds one step; a hung page fails the test instead of CI.
const stepTimeout = time.Minute

// run runs steps in the browser, failing the test at the first error.
func run(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// value runs one action and returns what it read.
func value[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
