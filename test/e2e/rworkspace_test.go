package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// requireRPackages fails (or skips, see requireTool) without R and the
// Debian R packages of the R workspaces.
func requireRPackages(t *testing.T) {
	t.Helper()
	requireTool(t, "Rscript")
	for _, p := range []string{"/usr/share/jupyter/kernels/ir/kernel.json", "/usr/lib/R/site-library/shiny/DESCRIPTION"} {
		requireFile(t, p)
	}
}

// launchImage launches image in alice's namespace and waits until it runs;
// it returns the server's name.
func launchImage(t *testing.T, c *http.Client, hubURL, image string) string {
	t.Helper()
	srv := mustCall(t, c, http.StatusCreated, "POST", hubURL+"/api/v1/namespaces/alice/launch", map[string]string{"image": image})
	name := srv["name"].(string)
	waitRunning(t, c, hubURL, "alice", name)
	return name
}

// TestRKernelThroughProxy computes 6*7 in an R kernel (IRkernel) of the R
// notebook, over the kernel's websocket through the proxy.
func TestRKernelThroughProxy(t *testing.T) {
	requireRPackages(t)
	hub, _, users := startDefaultHub(t, "alice")
	alice := users["alice"]
	name := launchImage(t, alice, hub.URL, "r-notebook")
	token := apiToken(t, alice, hub.URL)
	base := workspaceBase(hub.URL, "alice", name)
	k := mustCall(t, bearerClient(token), http.StatusCreated, "POST", base+"/api/kernels", map[string]string{"name": "ir"})
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/kernels/" + k["id"].(string) + "/channels"
	ws, res, err := websocketDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatalf("R kernel websocket %s: %v (response %v)", u, err, res)
	}
	defer ws.Close()
	if got := runPython(t, ws, "cat(6*7)"); strings.TrimSpace(got) != "42" { // runPython runs code on any kernel
		t.Errorf("R kernel printed %q for cat(6*7), want 42", got)
	}
}

// TestShinyInChromium opens the Shiny app under /notebook/alice/<server>/
// in a real browser: the page loads, and a change of its text input goes
// over Shiny's websocket and comes back as the rendered greeting.
func TestShinyInChromium(t *testing.T) {
	requireRPackages(t)
	hub, _, users := startDefaultHub(t, "alice")
	name := launchImage(t, users["alice"], hub.URL, "shiny")
	ctx := browser(t)
	app := workspaceOrigin(hub.URL, "alice") + "/notebook/alice/" + name + "/"
	run(t, ctx, "sign in and open the app",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch]`)),
		chromedp.Navigate(app),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
	)
	if landed := value(t, ctx, chromedp.Location()); landed != app {
		t.Errorf("the app is at %q, want %q", landed, app)
	}
	run(t, ctx, "change the input", chromedp.SendKeys(chromedp.CSS(`#name`), "Ada"))
	run(t, ctx, "the app answers the input over its websocket",
		chromedp.Poll[chromedp.Void](`document.getElementById("greeting").textContent === "Hello, Ada!"`))
}
