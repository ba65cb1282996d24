package web

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
)

func groupedCatalogue() form.Config {
	return form.Config{
		Groups: []form.ImageGroup{{ID: "jupyterlab", Names: map[string]string{"en": "JupyterLab", "fr": "JupyterLab"}}},
		Images: []form.Image{
			{ID: "lab-cpu", Kind: form.KindJupyter, Group: "jupyterlab", Container: "a:1", Names: map[string]string{"en": "CPU"}},
			{ID: "lab-torch", Kind: form.KindJupyter, Group: "jupyterlab", Container: "b:1", Names: map[string]string{"en": "PyTorch"}, Default: true},
			{ID: "rstudio", Kind: form.KindRStudio, Container: "r:1", Names: map[string]string{"en": "RStudio"}},
			{ID: "sas", Kind: form.KindSAS, Container: "s:1", Names: map[string]string{"en": "SAS"}, Groups: []string{"employees"}},
		},
	}
}

func TestConfigOffersGroupsThenVariants(t *testing.T) {
	fx := newHandlerFixture(t)
	fx.servers.cfg = groupedCatalogue()
	res, out := fx.do("alice", "en", "GET", "/api/v1/config", "")
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/v1/config = %d %v", res.StatusCode, out)
	}
	var got []string
	for _, it := range out["groups"].([]any) {
		g := it.(map[string]any)
		var vs []string
		for _, v := range g["variants"].([]any) {
			vs = append(vs, v.(map[string]any)["id"].(string))
		}
		got = append(got, g["name"].(string)+"="+strings.Join(vs, ",")+" default "+text(g["default"])+" allowed "+text(g["allowed"]))
	}
	want := []string{"JupyterLab=lab-cpu,lab-torch default lab-torch allowed true", "RStudio=rstudio default rstudio allowed true",
		"SAS=sas default  allowed false"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("groups = %q, want %q", got, want)
	}
}

func TestLaunchTilesAreGroups(t *testing.T) {
	fx := newHandlerFixture(t)
	fx.servers.cfg = groupedCatalogue()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-User", "alice")
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	page := string(body)
	for _, want := range []string{
		`<select data-variant-of="launch-jupyterlab">`,
		`<option value="lab-torch" selected>PyTorch</option>`,
		`id="launch-jupyterlab" class="primary" data-action="launch" data-ns="alice" data-image="lab-torch"`,
		`id="launch-rstudio" class="primary" data-action="launch" data-ns="alice" data-image="rstudio"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("landing page lacks %s", want)
		}
	}
	if strings.Contains(page, `data-image="sas"`) || strings.Count(page, `class="primary" data-action="launch"`) != 2 {
		t.Errorf("landing page offers SAS to alice or not one tile per allowed group:\n%s", page)
	}
}

func text(v any) string {
	s, _ := v.(string)
	if b, ok := v.(bool); ok {
		if b {
			return "true"
		}
		return "false"
	}
	return s
}
