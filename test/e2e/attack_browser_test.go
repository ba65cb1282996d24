package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// attackReport is what bob's page reports in window.attack.
type attackReport struct {
	Done    bool           `json:"done"`
	Origin  string         `json:"origin"` // where the page ran
	Results []attackResult `json:"results"`
}

// attackResult is one attempt: Succeeded is nil when the page cannot see
// the outcome (no-cors requests, forms).
type attackResult struct {
	Trick     string `json:"trick"`
	Target    string `json:"target"`
	Succeeded *bool  `json:"succeeded"`
	Detail    string `json:"detail"`
}

// hubPage is what the visitor's browser sees on the hub origin after the
// attack.
type hubPage struct {
	Status        int      `json:"status"`     // of GET /api/v1/me
	SignedInAs    string   `json:"signedInAs"` // its id; "" when refused
	Controlled    bool     `json:"controlled"` // a service worker controls the landing page
	Registrations []string `json:"registrations"`
	Owned         string   `json:"owned"` // GET /__owned_by_bob, which only bob's worker answers
}

// attackTimeout bounds the whole attack page: every attempt has its own
// 20 s bound in the page.
const attackTimeout = 5 * time.Minute

// browserLogin signs in on the hub's login page.
func browserLogin(t *testing.T, ctx context.Context, hub, user string) {
	t.Helper()
	run(t, ctx, "sign in as "+user,
		chromedp.Navigate(hub+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), user),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#username`)),
	)
	if landed := value(t, ctx, chromedp.Location()); landed != hub+"/" {
		t.Fatalf("after signing in as %s the browser is at %s, want the landing page", user, landed)
	}
}

// opensJupyter navigates to Jupyter's api/status at base and reports
// whether Jupyter answered (rather than a login page or an error).
func opensJupyter(t *testing.T, ctx context.Context, base string) (bool, string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(base+"api/status")); err != nil {
		return false, err.Error()
	}
	text, err := chromedp.Run(sctx, chromedp.Poll[string](
		`document.readyState === "complete" && (document.querySelector("pre") || document.body).innerText`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		return false, err.Error()
	}
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	var status struct{ Started string }
	return json.Unmarshal([]byte(text), &status) == nil && status.Started != "", loc + ": " + text
}

// runAttack opens bob's page and waits for its report.
func runAttack(t *testing.T, ctx context.Context, u string) attackReport {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, attackTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open bob's page: %v", err)
	}
	raw, err := chromedp.Run(sctx, chromedp.Poll[[]byte](`window.attack && window.attack.done && window.attack`,
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(attackTimeout)))
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("bob's page (at %s) did not finish: %v", loc, err)
	}
	var rep attackReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("bob's page report %s: %v", raw, err)
	}
	return rep
}

// inspectHub loads the hub's landing page and reads who the hub thinks
// the visitor is and whether a service worker answers there.
func inspectHub(t *testing.T, ctx context.Context, hub string) hubPage {
	t.Helper()
	run(t, ctx, "open the hub", chromedp.Navigate(hub+"/"))
	return value(t, ctx, chromedp.Evaluate[hubPage](`(async () => {
		const me = await fetch("/api/v1/me", {headers: {Accept: "application/json"}});
		const body = me.ok ? await me.json() : {};
		const owned = await (await fetch("/__owned_by_bob")).text();
		const regs = await navigator.serviceWorker.getRegistrations();
		return {status: me.status, signedInAs: body.id || "", controlled: navigator.serviceWorker.controller !== null,
			registrations: regs.map((r) => r.scope), owned: owned.slice(0, 100)};
	})()`, chromedp.EvalAwaitPromise))
}
