package e2e

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"gopkg.in/yaml.v3"
)

// catalogTexts reads a message catalog of web/locales.
func catalogTexts(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../web/locales/" + lang + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s catalog: %v", lang, err)
	}
	return out
}

// englishLeftovers are what a French page must not show: every English
// text of the catalog that French says differently (the literal parts of
// those with parameters, when long enough to mean something), each as a
// whole-word pattern (a word inside a name like "lab-workspace" is not one).
func englishLeftovers(t *testing.T) map[string]*regexp.Regexp {
	en, fr := catalogTexts(t, "en"), catalogTexts(t, "fr")
	params := regexp.MustCompile(`\{\{[^}]*\}\}`)
	out := map[string]*regexp.Regexp{}
	for id, text := range en {
		if fr[id] == text {
			continue // the same in both languages ("Image", "GPU")
		}
		parts := params.Split(text, -1)
		for _, p := range parts {
			p = strings.TrimSpace(strings.Trim(strings.TrimSpace(p), ".:;,()"))
			if len(parts) > 1 && len(p) < 10 || p == "" {
				continue
			}
			out[id+": "+p] = regexp.MustCompile(`(^|[^\pL_-])` + regexp.QuoteMeta(p) + `($|[^\pL_-])`)
		}
	}
	return out
}

// visibleText is the page's text without what is not the UI's own words:
// logs and code, and the other language's name in the language switch.
const visibleText = `(() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("pre, code, [lang], script, dialog:not([open])").forEach((el) => el.remove());
  return body.innerText + "\n" + [...document.querySelectorAll("[title], [aria-label], input[placeholder]")]
    .filter((el) => !el.closest("[lang]:not(html)"))
    .map((el) => (el.title || "") + " " + (el.getAttribute("aria-label") || "") + " " + (el.placeholder || "")).join("\n");
})()`

// badPatterns lists the inputs whose pattern the browser cannot compile
// (it compiles them with the v flag, where "-" in a class must be escaped).
const badPatterns = `[...document.querySelectorAll("input[pattern]")].filter((el) => {
  try { new RegExp(el.pattern, "v"); return false; } catch { return true; }
}).map((el) => el.id)`

// axeSerious runs axe-core in the page and lists its serious and critical
// violations.
func axeSerious(t *testing.T, ctx context.Context, axe string) []string {
	t.Helper()
	value(t, ctx, chromedp.Evaluate[bool](axe+"\n;true"))
	return value(t, ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")))`,
		chromedp.EvalAwaitPromise))
}

// axeScript is axe-core's browser build (test/run installs it from npm).
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SPAWNHUB_AXE")
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
			t.Skipf("axe-core is not installed (SPAWNHUB_AXE=%q)", path)
		}
		t.Fatalf("axe-core: %v; run test/run, which installs it and sets SPAWNHUB_AXE", err)
	}
	return string(raw)
}

// TestEveryPageInFrenchAndAccessible walks every page of the app in
// French: no English text of the catalog is left on any, and axe-core
// finds no serious accessibility violation. The landing page also fits a
// 400 px wide screen.
func TestEveryPageInFrenchAndAccessible(t *testing.T) {
	axe := axeScript(t)
	hub, alice := startPagesHub(t)
	api := hub.URL + "/api/v1/namespaces/alice"
	demo := mustCall(t, alice, http.StatusCreated, "POST", api+"/launch", map[string]string{"image": "demo"})["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", demo)
	broken := mustCall(t, alice, http.StatusCreated, "POST", api+"/launch", map[string]string{"image": "broken"})["name"].(string)
	mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/tokens", map[string]any{"name": "notebook-sync"})
	mustCall(t, alice, http.StatusCreated, "POST", api+"/volumes", map[string]any{"name": "survey", "size": "4Gi"})

	ctx := browser(t)
	leftovers := englishLeftovers(t)
	check := func(name, path, ready string) {
		t.Helper()
		run(t, ctx, name, chromedp.Navigate(hub.URL+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		screenshot(t, ctx, name)
		if lang := value(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "fr" {
			t.Errorf("%s: <html lang=%q>, want fr", name, lang)
		}
		text := value(t, ctx, chromedp.Evaluate[string](visibleText))
		for what, re := range leftovers {
			if re.MatchString(text) {
				t.Errorf("%s (%s) shows English: %q", name, path, what)
			}
		}
		if bad := value(t, ctx, chromedp.Evaluate[[]string](badPatterns)); len(bad) > 0 {
			t.Errorf("%s: the pattern of %v is not a valid regular expression for the browser", name, bad)
		}
		for _, v := range axeSerious(t, ctx, axe) {
			t.Errorf("%s (%s): accessibility: %s", name, path, v)
		}
	}
	check("login", "/login?lang=fr", `#username`)
	run(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`#servers-title`)),
	)
	check("landing", "/?lang=fr", `tr[data-name="`+broken+`"][data-phase=failed]`)
	server := "/namespaces/alice/servers/"
	check("server", server+demo+"?lang=fr", `.overview`)
	check("events", server+broken+"?tab=events&lang=fr", `#events-tab li`)
	check("logs", server+broken+"?tab=logs&lang=fr", `#logs`)
	check("progress", server+broken+"/progress?lang=fr", `#failure`)
	check("new-server", "/namespaces/alice/new?lang=fr", `#spawn-form`)
	run(t, ctx, "every form error at once, each next to its field",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Mauvais_Nom"),
		chromedp.SendKeys(chromedp.CSS(`#f-cpu`), "beaucoup"),
		chromedp.Click(chromedp.CSS(`#spawn-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-for=name]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-for=cpu]`)),
	)
	screenshot(t, ctx, "new-server-errors")
	check("volumes", "/namespaces/alice/volumes?lang=fr", `main`)
	check("share", "/namespaces/alice/contributors?lang=fr", `main`)
	check("tokens", "/tokens?lang=fr", `table.tokens`)
	check("not-found", "/no/such/page?lang=fr", `#errorpage`)
	check("not-running", "/notebook/alice/"+broken+"/?lang=fr", `main`)

	run(t, ctx, "400 px wide", chromedp.EmulateViewport(400, 900), chromedp.Navigate(hub.URL+"/?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`#servers-title`)))
	screenshot(t, ctx, "landing-400px")
	if w := value(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 400 {
		t.Errorf("the landing page is %d px wide on a 400 px screen, want no sideways scrolling", w)
	}
}
