package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spawnhub/spawnhub/test/poll"
)

// groupedConfig is a catalogue of one group with two variants (both the
// demo server) and the custom image option.
const groupedConfig = `
spawner:
  allowCustomImages: true
  groups:
    - id: tools
      names: {en: "Tools", fr: "Outils"}
  images:
    - id: demo-small
      kind: demo
      group: tools
      default: true
      names: {en: "Small", fr: "Petit"}
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
    - id: demo-large
      kind: demo
      group: tools
      names: {en: "Large", fr: "Grand"}
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
`

// TestCatalogueGroupsInChromium: the landing page has one tile for the
// group, whose variant select sets what Launch starts; the form picks the
// group first, then the variant, and keeps the custom image under
// "Advanced options".
func TestCatalogueGroupsInChromium(t *testing.T) {
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{
		config: groupedConfig,
		env:    []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		beforeStop: func(base string) {
			if alice != nil {
				stopAllServers(t, alice, base, "alice")
			}
		},
	})
	alice = login(t, hub.URL, "alice")
	ctx := browser(t)
	variant := chromedp.CSS(`select[data-variant-of=launch-tools]`)
	run(t, ctx, "sign in",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(variant),
	)
	if n := value(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("button[data-action=launch]:not([data-new])").length`)); n != 1 {
		t.Errorf("%d launch tiles, want one for the group", n)
	}
	picked := value(t, ctx, chromedp.Evaluate[string](`(() => {
		const s = document.querySelector("select[data-variant-of=launch-tools]");
		s.value = "demo-large";
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return document.getElementById("launch-tools").dataset.image + " " + document.getElementById("launch-tools-new").dataset.image;
	})()`))
	if picked != "demo-large demo-large" {
		t.Fatalf("after picking Large the tile's Launch and Launch-new buttons launch %q, want demo-large for both", picked)
	}
	run(t, ctx, "launch the variant", chromedp.Click(chromedp.CSS(`#launch-tools`)))
	var items []any
	poll.Until(t, time.Minute, "the launched server is listed", func() bool {
		list := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers", nil)
		items = list["items"].([]any)
		return len(items) > 0
	})
	if len(items) != 1 || items[0].(map[string]any)["image"] != "demo-large" {
		t.Errorf("servers = %v, want one of demo-large", items)
	}
	// Launch leads into the server: let the browser get there before it
	// goes elsewhere.
	poll.Until(t, time.Minute, "the browser in the launched server", func() bool {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		return err == nil && strings.Contains(loc, "/notebook/alice/")
	})

	run(t, ctx, "the form",
		chromedp.Navigate(hub.URL+"/namespaces/alice/new"),
		chromedp.WaitVisible(chromedp.CSS(`#spawn-form`)),
	)
	form := value(t, ctx, chromedp.Evaluate[string](`(() => {
		const q = (s) => document.querySelector(s);
		const opts = (s) => [...q(s).options].map((o) => o.value).join(",");
		const box = q("#custom-image-box");
		return [opts("#f-group"), q("#f-group").value, opts("#f-image"), q("#f-image").value, q("#variant-box").hidden,
			box.tagName, box.hidden, q("#custom-image-box summary").textContent].join(" | ");
	})()`))
	if want := "tools | tools | demo-small,demo-large | demo-small | false | DETAILS | false | Advanced options"; form != want {
		t.Errorf("form = %q, want %q", form, want)
	}
}
