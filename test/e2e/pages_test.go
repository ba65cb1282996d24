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

	"github.com/spawnhub/spawnhub/test/poll"
)

// pagesConfig offers the demo server, Jupyter Notebook, and an image whose
// server exits at once, saying why in its log.
const pagesConfig = `
spawner:
  images:
    - id: demo
      kind: demo
      default: true
      names: {en: "Demo server", fr: "Serveur de démonstration"}
      descriptions: {en: "A small test server.", fr: "Un petit serveur d’essai."}
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
    - id: jupyter-notebook
      kind: jupyter
      readyPath: api/status
      names: {en: "Jupyter Notebook", fr: "Jupyter Notebook"}
      descriptions: {en: "The classic notebook.", fr: "Le bloc-notes classique."}
      command: ["/usr/bin/python3", "-m", "notebook", "--no-browser", "--allow-root", "--ip={{.Host}}", "--port={{.Port}}",
        "--NotebookApp.base_url={{.BaseURL}}", "--NotebookApp.allow_remote_access=True", "--notebook-dir={{.Home}}"]
    - id: slow
      kind: demo
      names: {en: "Slow demo", fr: "Démo lente"}
      descriptions: {en: "Takes two seconds to start.", fr: "Met deux secondes à démarrer."}
      command: ["/bin/sh", "-c", "sleep 2; exec \"$0\" \"$@\"", "{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
    - id: broken
      kind: demo
      names: {en: "Broken model", fr: "Modèle cassé"}
      descriptions: {en: "Exits at once.", fr: "S’arrête aussitôt."}
      command: ["/bin/sh", "-c", "echo loading the model; echo 'error: cannot open /data/model.bin: No such file or directory' >&2; exit 3"]
`

// startPagesHub runs spawnhub with pagesConfig; alice's servers are
// stopped at the end.
func startPagesHub(t *testing.T) (*instance, *http.Client) {
	t.Helper()
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{
		config: pagesConfig,
		env:    []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		beforeStop: func(base string) {
			if alice != nil {
				stopAllServers(t, alice, base, "alice")
			}
		},
	})
	alice = login(t, hub.URL, "alice")
	return hub, alice
}

// signIn signs the browser in as user on the hub.
func signIn(t *testing.T, ctx context.Context, hub, user string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(hub+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), user),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`#servers-title`)),
	)
}

// screenshot saves the browser's page as a test artifact: in
// $SPAWNHUB_ARTIFACTS (test/run sets it), else in the test's temporary
// folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SPAWNHUB_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	png := value(t, ctx, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

// inJupyter waits until the browser shows Jupyter's file list on the
// workspace origin, and returns where it is.
func inJupyter(t *testing.T, ctx context.Context, step string) string {
	t.Helper()
	run(t, ctx, step, chromedp.WaitVisible(chromedp.CSS(`#notebook_list`)))
	return value(t, ctx, chromedp.Location())
}

// TestLaunchTakesYouIntoJupyter: one click on Launch shows the progress
// page (bar, events) and then Jupyter, with no other click; after Stop,
// Launch again starts the same server, with its files, and no new volume.
func TestLaunchTakesYouIntoJupyter(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	requireTool(t, "jupyter-notebook")
	hub, alice := startPagesHub(t)
	ctx := browser(t)
	signIn(t, ctx, hub.URL, "alice")
	launch := chromedp.CSS(`button[data-action=launch][data-image=jupyter-notebook]:not([data-new])`)

	run(t, ctx, "launch Jupyter", chromedp.Click(launch), chromedp.WaitVisible(chromedp.CSS(`#progress progress#bar`)))
	screenshot(t, ctx, "1-progress")
	at := inJupyter(t, ctx, "taken into Jupyter")
	screenshot(t, ctx, "2-jupyter")
	origin := workspaceOrigin(hub.URL, "alice") + "/notebook/alice/"
	if !strings.HasPrefix(at, origin) {
		t.Fatalf("after Launch the browser is at %q, want inside the server under %s", at, origin)
	}
	name := strings.SplitN(strings.TrimPrefix(at, origin), "/", 2)[0]
	api := hub.URL + "/api/v1/namespaces/alice"
	file := hub.URL + "/notebook/alice/" + name + "/api/contents/kept.txt"
	mustCall(t, alice, http.StatusCreated, "PUT", file, map[string]any{"type": "file", "format": "text", "content": "still here"})
	volumes := names(t, alice, api+"/volumes")

	row := `tr[data-name="` + name + `"]`
	run(t, ctx, "stop it from the landing page",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-phase=running] button.when-running[data-action=stop]`)),
		chromedp.Click(chromedp.CSS(row+` button.when-running[data-action=stop]`)),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-phase=stopped] button[data-action=start]`)),
	)
	run(t, ctx, "launch again", chromedp.Click(launch))
	again := inJupyter(t, ctx, "taken into the same Jupyter")
	if !strings.HasPrefix(again, origin+name+"/") {
		t.Errorf("Launch after Stop opened %q, want the same server %s", again, name)
	}
	if got := mustCall(t, alice, http.StatusOK, "GET", file, nil); got["content"] != "still here" {
		t.Errorf("the file after a new Launch = %v, want the one written before Stop", got["content"])
	}
	if got := names(t, alice, api+"/volumes"); fmt.Sprint(got) != fmt.Sprint(volumes) {
		t.Errorf("volumes after Launch again = %v, want the same %v (no new volume)", got, volumes)
	}
	if got := names(t, alice, api+"/servers"); len(got) != 1 {
		t.Errorf("servers after Launch again = %v, want the one", got)
	}

	// Jupyter's own Quit (what its Quit button posts) ends the server
	// cleanly: it is Stopped, not Failed.
	mustCall(t, alice, http.StatusOK, "POST", hub.URL+"/notebook/alice/"+name+"/api/shutdown", nil)
	var phase any
	poll.Until(t, time.Minute, "the server to end after Quit", func() bool {
		phase = mustCall(t, alice, http.StatusOK, "GET", api+"/servers/"+name, nil)["phase"]
		return phase != "running"
	})
	if phase != "stopped" {
		t.Errorf("after Jupyter's Quit the server is %v, want stopped", phase)
	}
}

// TestFailedSpawnSaysWhyInFrench: a server that exits while starting puts
// one French sentence on the progress page, with the line of its log that
// says why; the server page lists its events with times and shows its log.
func TestFailedSpawnSaysWhyInFrench(t *testing.T) {
	hub, _ := startPagesHub(t)
	ctx := browser(t)
	signIn(t, ctx, hub.URL, "alice")
	run(t, ctx, "launch the broken image on a French page",
		chromedp.Navigate(hub.URL+"/?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch][data-image=broken]:not([data-new])`)),
		chromedp.Click(chromedp.CSS(`button[data-action=launch][data-image=broken]:not([data-new])`)),
		chromedp.WaitVisible(chromedp.CSS(`#failure`)),
	)
	screenshot(t, ctx, "1-failed-progress-fr")
	why := value(t, ctx, chromedp.Text(chromedp.CSS(`#failure`)))
	if !strings.Contains(why, "Le serveur s’est arrêté pendant son démarrage (code de sortie 3)") ||
		!strings.Contains(why, "error: cannot open /data/model.bin") || strings.Count(why, "\n") > 0 {
		t.Errorf("failure on the French progress page = %q, want one French sentence with the log's error line", why)
	}
	page := value(t, ctx, chromedp.Location())
	serverPage := strings.TrimSuffix(strings.SplitN(page, "?", 2)[0], "/progress")

	run(t, ctx, "events tab", chromedp.Navigate(serverPage+"?tab=events"), chromedp.WaitVisible(chromedp.CSS(`#events-tab`)))
	screenshot(t, ctx, "2-events-fr")
	times := value(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#events-tab li time").length`))
	events := value(t, ctx, chromedp.Text(chromedp.CSS(`#events-tab`)))
	if times < 4 || !strings.Contains(events, "Échec") || !strings.Contains(events, "En file") {
		t.Errorf("events tab: %d times, text %q; want the start's events with times, in French", times, events)
	}
	run(t, ctx, "logs tab", chromedp.Navigate(serverPage+"?tab=logs"), chromedp.WaitVisible(chromedp.CSS(`#logs`)))
	screenshot(t, ctx, "3-logs")
	if logs := value(t, ctx, chromedp.Text(chromedp.CSS(`#logs`))); !strings.Contains(logs, "loading the model") || !strings.Contains(logs, "cannot open /data/model.bin") {
		t.Errorf("logs tab = %q, want the server's output", logs)
	}
}

// TestLandingStatusIsLive: the landing page follows a starting server
// through the progress stream, without reloading, until it runs.
func TestLandingStatusIsLive(t *testing.T) {
	hub, alice := startPagesHub(t)
	ctx := browser(t)
	signIn(t, ctx, hub.URL, "alice")
	name := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "slow"})["name"].(string)
	row := `tr[data-name="` + name + `"]`
	run(t, ctx, "the landing page shows it on its way",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(row+`:is([data-phase=queued], [data-phase=starting]) button.when-busy`)),
	)
	value(t, ctx, chromedp.Evaluate[bool](`window.notReloaded = true`))
	run(t, ctx, "and then running, with Connect", chromedp.WaitVisible(chromedp.CSS(row+`[data-phase=running] a.when-running`)))
	if !value(t, ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the landing page reloaded to show the new status")
	}
	if got := value(t, ctx, chromedp.Text(chromedp.CSS(row+` [data-field=phase]`))); got != "Running" {
		t.Errorf("status cell = %q, want Running", got)
	}

	api := hub.URL + "/api/v1/namespaces/alice"
	run(t, ctx, "delete asks whether to keep the volumes",
		chromedp.Click(chromedp.CSS(row+` button[data-action=delete]`)),
		chromedp.WaitVisible(chromedp.CSS(`#delete-dialog #delete-volumes`)),
	)
	screenshot(t, ctx, "delete-dialog")
	run(t, ctx, "delete with its volumes",
		chromedp.Click(chromedp.CSS(`#delete-volumes`)),
		chromedp.Click(chromedp.CSS(`#delete-confirm`)),
		chromedp.WaitNotPresent(chromedp.CSS(row)),
	)
	if got := names(t, alice, api+"/volumes"); len(got) != 0 {
		t.Errorf("volumes after deleting the server with its volumes = %v, want none", got)
	}
}

// TestTokensPage: a token is created with a name, scope and lifetime, its
// secret shown once, listed, and revoked.
func TestTokensPage(t *testing.T) {
	hub, alice := startPagesHub(t)
	ctx := browser(t)
	signIn(t, ctx, hub.URL, "alice")
	run(t, ctx, "create a token",
		chromedp.Navigate(hub.URL+"/tokens"),
		chromedp.WaitVisible(chromedp.CSS(`#token-form`)),
		chromedp.SendKeys(chromedp.CSS(`#token-name`), "nightly-sync"),
		chromedp.SetValue(chromedp.CSS(`#token-lifetime`), "168h"),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#token-secret`)),
	)
	secret := value(t, ctx, chromedp.Text(chromedp.CSS(`#token-secret-value`)))
	req, _ := http.NewRequest(http.MethodGet, hub.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/me with the shown secret: %v %v, want 200", res, err)
	} else {
		res.Body.Close()
	}
	run(t, ctx, "listed, without its secret",
		chromedp.Navigate(hub.URL+"/tokens"),
		chromedp.WaitVisible(chromedp.CSS(`table.tokens button[data-action=revoke]`)),
	)
	if html := value(t, ctx, chromedp.Evaluate[string](`document.body.innerHTML`)); strings.Contains(html, secret) || !strings.Contains(html, "nightly-sync") {
		t.Errorf("tokens page after a reload shows the secret again or lacks the token")
	}
	run(t, ctx, "revoke it",
		chromedp.Click(chromedp.CSS(`table.tokens button[data-action=revoke]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`table.tokens tr[data-id]`)),
	)
	if got := tokenIDs(t, alice, hub.URL); len(got) != 0 {
		t.Errorf("tokens after Revoke = %v, want none", got)
	}
}
