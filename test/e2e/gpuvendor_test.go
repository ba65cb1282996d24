package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestGPUVendorChoiceInChromium: on a cluster with two GPU vendors the
// form offers the choice, labelled in French, only once GPUs are asked
// for; the keyboard alone picks the second vendor, and the server is
// created with it.
func TestGPUVendorChoiceInChromium(t *testing.T) {
	hub, _, clients := startFormHub(t, "alice") // alice's client stops her servers at the end
	ctx := browser(t)
	run(t, ctx, "sign in and open the form in French",
		chromedp.Navigate(hub.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.Submit(chromedp.CSS(`#username`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch]`)),
		chromedp.Navigate(hub.URL+"/namespaces/alice/new?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`#spawn-form`)),
	)
	if !value(t, ctx, chromedp.Evaluate[bool](`document.getElementById("gpu-vendor-box").hidden`)) {
		t.Error("the vendor choice shows before any GPU is asked for")
	}
	run(t, ctx, "ask for a GPU and pick AMD with the keyboard",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "gpu-lab"),
		chromedp.Focus(chromedp.CSS(`#f-gpus`)),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.WaitVisible(chromedp.CSS(`#f-gpuVendor`)),
		chromedp.Focus(chromedp.CSS(`#f-gpuVendor`)),
		chromedp.KeyEvent(kb.ArrowDown),
	)
	if label := value(t, ctx, chromedp.Text(chromedp.CSS(`label[for=f-gpuVendor]`))); label != "Fabricant du GPU" {
		t.Errorf("vendor label = %q, want the French one", label)
	}
	if picked := value(t, ctx, chromedp.Evaluate[string](`document.getElementById("f-gpuVendor").value`)); picked != "amd" {
		t.Fatalf("vendor after ArrowDown = %q, want amd", picked)
	}
	if hint := value(t, ctx, chromedp.Text(chromedp.CSS(`#f-gpu-preset`))); !strings.Contains(hint, "amd.com/gpu") {
		t.Errorf("GPU preset hint = %q, want it to name the AMD resource", hint)
	}
	screenshot(t, ctx, "form-gpu-vendor-fr")
	run(t, ctx, "create it",
		chromedp.Click(chromedp.CSS(`#spawn-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action=launch]`)),
	)
	srv := mustCall(t, clients["alice"], http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/gpu-lab", nil)
	if spec, _ := srv["spec"].(map[string]any); spec["gpuVendor"] != "amd" || spec["gpus"] != 1.0 {
		t.Errorf("created server's spec = %v, want 1 GPU of vendor amd", srv["spec"])
	}
}
