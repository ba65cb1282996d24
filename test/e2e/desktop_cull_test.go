package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/spawnhub/spawnhub/test/poll"
)

// TestCullTellsADesktopViewerFromAPerson: two real desktops (Xvnc,
// websockify, noVNC) through spawnhub, each open in a tab of a headless
// Chromium. On the viewer's, noVNC only stays open, asking for frames
// (FramebufferUpdateRequests) for as long as it is open: it is warned, then
// culled, and its page and deep link then say why in French. On the
// person's, the mouse moves and keys are typed in the browser: it keeps
// running, never warned, its last activity the mouse or the keyboard.
func TestCullTellsADesktopViewerFromAPerson(t *testing.T) {
	requireDesktopPackages(t)
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{env: append([]string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		cullingEnv(20*time.Second, 6*time.Second)...),
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }})
	alice = login(t, hub.URL, "alice")
	root := login(t, hub.URL, "root")
	ctx := browser(t)
	browserLogin(t, ctx, hub.URL, "alice")
	tabs := map[string]context.Context{}
	for _, name := range []string{"viewer", "person"} {
		tab := ctx
		if len(tabs) > 0 {
			var cancel context.CancelFunc
			tab, cancel = chromedp.NewContext(ctx) // a second tab of the same browser
			t.Cleanup(cancel)
			if err := chromedp.Do(tab); err != nil { // opens it, for as long as tab lives
				t.Fatalf("open a second tab: %v", err)
			}
		}
		tabs[name] = tab
		openDesktop(t, alice, hub.URL, tab, name)
	}
	run(t, tabs["person"], "focus the person's desktop", chromedp.Click(chromedp.CSS(`#noVNC_container canvas`)))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	wg.Go(func() { desktopPerson(stop, tabs["person"]) })
	poll.Until(t, 30*time.Second, "the person's mouse recorded", func() bool { // activity is flushed every 5 s
		src := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/person", nil)["lastActivitySource"]
		return src == "mouse" || src == "keyboard"
	})

	if !value(t, tabs["viewer"], chromedp.Evaluate[bool](`document.documentElement.classList.contains("noVNC_connected")`)) {
		t.Fatal("the viewer's noVNC is no longer connected: it would not be asking for frames")
	}
	var last map[string]any
	poll.Until(t, 90*time.Second, "the viewer's server culled", func() bool {
		call(t, root, "POST", hub.URL+"/api/v1/admin/cull", map[string]any{})
		last = mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/viewer", nil)
		return last["phase"] == "stopped"
	})
	if src := last["cull"].(map[string]any)["source"]; src == "mouse" || src == "keyboard" {
		t.Errorf("the viewer's last activity before its cull = %v: noVNC's frame requests counted as a person", src)
	}
	if r := eventReasons(t, alice, hub.URL, "alice", "viewer"); !warnedThenCulled(r) {
		t.Errorf("events of the viewer's server = %v, want a CullWarning before Culled", r)
	}
	person := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/person", nil)
	src := person["lastActivitySource"]
	if rp := eventReasons(t, alice, hub.URL, "alice", "person"); person["phase"] != "running" ||
		(src != "mouse" && src != "keyboard") || count(rp, "CullWarning") != 0 {
		t.Errorf("the person's server = phase %v, source %v at %v, events %v; want running, mouse or keyboard, never warned",
			person["phase"], src, person["lastActivity"], rp)
	}
	culledSaysWhyInFrench(t, tabs["viewer"], hub.URL, connectURL(hub.URL, last))
}

// openDesktop creates the desktop server name, waits until it runs and
// opens it in the browser tab, connected.
func openDesktop(t *testing.T, c *http.Client, base string, tab context.Context, name string) {
	t.Helper()
	mustCall(t, c, http.StatusCreated, "POST", base+"/api/v1/namespaces/alice/servers",
		map[string]any{"name": name, "image": "desktop"})
	srv := waitRunning(t, c, base, "alice", name)
	run(t, tab, "open the desktop "+name, chromedp.Navigate(connectURL(base, srv)))
	waitNoVNCConnected(t, tab, "of "+name)
}

// connectURL is where Connect takes the server's user, absolute.
func connectURL(base string, srv map[string]any) string {
	u := srv["connectURL"].(string)
	if strings.HasPrefix(u, "/") {
		return base + u
	}
	return u
}

// warnedThenCulled tells whether events have a CullWarning before a Culled.
func warnedThenCulled(reasons []string) bool {
	warned, culled := -1, -1
	for i, r := range reasons {
		switch r {
		case "CullWarning":
			warned = i
		case "Culled":
			culled = i
		}
	}
	return warned >= 0 && culled > warned
}

// desktopPerson moves the mouse over noVNC's canvas every half second and
// presses a key every other second, until stop.
func desktopPerson(stop <-chan struct{}, tab context.Context) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		actions := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, float64(100+i%50), float64(100+i%30))}
		if i%4 == 0 {
			actions = append(actions, chromedp.KeyEvent(kb.ArrowLeft))
		}
		sctx, cancel := context.WithTimeout(tab, 5*time.Second)
		_ = chromedp.Do(sctx, actions...) // fails only when the test ends
		cancel()
	}
}

// culledSaysWhyInFrench opens the culled viewer's server page and its deep
// link (Connect's URL) in French: both say it was stopped for being idle,
// and the deep link brings it back in one click.
func culledSaysWhyInFrench(t *testing.T, tab context.Context, base, deepLink string) {
	t.Helper()
	pages := [][2]string{ // the deep link last: its page has the Start
		{"server page", base + "/namespaces/alice/servers/viewer?lang=fr"},
		{"deep link", deepLink + "&lang=fr"},
	}
	for _, page := range pages {
		what, u := page[0], page[1]
		run(t, tab, "open the culled viewer's "+what, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`#cull-banner`)))
		banner := value(t, tab, chromedp.Text(chromedp.CSS(`#cull-banner`)))
		if !strings.Contains(banner, "a été arrêté") || !strings.Contains(banner, "inactif depuis") {
			t.Errorf("the culled viewer's %s in French says %q, want why it was stopped", what, banner)
		}
	}
	run(t, tab, "start the viewer again from its deep link", chromedp.Click(chromedp.CSS(`#start`)))
	waitNoVNCConnected(t, tab, "after starting the culled viewer again")
}
