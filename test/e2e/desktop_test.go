package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/spawnhub/spawnhub/test/poll"
)

// The desktop and R workspaces of the embedded default catalogue, through
// spawnhub in a real browser: noVNC on a real Xvnc, an R kernel in
// Jupyter, a Shiny app.

// startDefaultHub runs spawnhub with no configuration: the embedded
// catalogue of what is installed here. It returns the hub and the data
// folder (the local backend's homes are under it), and each user's
// signed-in client (which stops the user's servers at the end).
func startDefaultHub(t *testing.T, users ...string) (*instance, string, map[string]*http.Client) {
	t.Helper()
	dataDir := t.TempDir()
	clients := map[string]*http.Client{}
	hub := startSpawnhub(t, spawnhubEnv{
		env: []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + dataDir},
		beforeStop: func(base string) {
			for ns, c := range clients {
				stopAllServers(t, c, base, ns)
			}
		},
	})
	for _, u := range users {
		clients[u] = login(t, hub.URL, u)
	}
	return hub, dataDir, clients
}

// requireDesktopPackages fails (or skips, see requireTool) without the
// Debian packages the desktop needs.
func requireDesktopPackages(t *testing.T) {
	t.Helper()
	for _, p := range []string{"Xvnc", "openbox", "xterm", "websockify"} {
		requireTool(t, p)
	}
	requireFile(t, "/usr/share/novnc/vnc.html")
}

// requireFile is requireTool for a file a package installs that is not a
// program.
func requireFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
		t.Skipf("%s is not installed", path)
	}
	t.Fatalf("%s is not installed; run the README's test command, which installs it", path)
}

// artifactPath is where a test leaves a file for people to look at:
// $SPAWNHUB_TEST_ARTIFACTS when set (CI keeps that folder), else a folder
// under the system's temporary folder that outlives the test.
func artifactPath(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("SPAWNHUB_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "spawnhub-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// TestDesktopInChromium launches the desktop from the landing page and
// connects on the first Connect: noVNC's canvas connects to the X server,
// and keys typed in the browser reach the xterm on that display (its shell
// creates a file the test finds in the server's home). A screenshot of the
// desktop is saved.
func TestDesktopInChromium(t *testing.T) {
	requireDesktopPackages(t)
	hub, dataDir, _ := startDefaultHub(t, "alice")
	ctx := browser(t)
	connect := chromedp.CSS(`tr a.button.primary[href*="/vnc.html?"]`)
	run(t, ctx, "sign in and launch the desktop",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch][data-image=desktop]`)),
		chromedp.Click(chromedp.CSS(`button[data-action=launch][data-image=desktop]`)),
		chromedp.WaitVisible(connect),
	)
	run(t, ctx, "connect", chromedp.Click(connect))
	poll.Until(t, time.Minute, "noVNC connected to the desktop", func() bool {
		connected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.classList.contains("noVNC_connected")`))
		return err == nil && connected
	})
	marker := "typedin" + strings.ToLower(randomHex(4))
	run(t, ctx, "type a command into the xterm",
		chromedp.Click(chromedp.CSS(`#noVNC_container canvas`)),
		chromedp.KeyEvent("touch "+marker),
		chromedp.KeyEvent(kb.Enter),
	)
	// The xterm's shell starts in the server's home: its workspace volume
	// (volumes/alice/<volume>) or, without one, homes/alice/<server>.
	typed := filepath.Join(dataDir, "local", "*", "alice", "*", marker)
	poll.Until(t, 30*time.Second, "the typed command ran in the xterm", func() bool {
		found, _ := filepath.Glob(typed)
		return len(found) == 1
	})
	png := value(t, ctx, chromedp.FullScreenshot(100)) // 100: PNG
	shot := artifactPath(t, "desktop-"+marker+".png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the desktop: %s", shot)
}
