package form

import (
	"strings"
	"testing"
)

func TestChoicesGroupVariants(t *testing.T) {
	c := Config{
		Groups: []ImageGroup{{ID: "jupyterlab", Names: map[string]string{"en": "JupyterLab"}}},
		Images: []Image{
			{ID: "lab-cpu", Kind: KindJupyter, Group: "jupyterlab", Container: "a:1"},
			{ID: "rstudio", Kind: KindRStudio, Container: "r:1", Names: map[string]string{"en": "RStudio"}},
			{ID: "lab-torch", Kind: KindJupyter, Group: "jupyterlab", Container: "b:1"},
			{ID: "sas", Kind: KindSAS, Container: "s:1", Groups: []string{"employees"}},
		},
	}
	got := c.ChoicesFor(Requester{})
	var ids []string
	for _, ch := range got {
		var vs []string
		for _, v := range ch.Variants {
			vs = append(vs, v.ID)
		}
		ids = append(ids, ch.ID+"="+strings.Join(vs, ","))
	}
	if want := "jupyterlab=lab-cpu,lab-torch rstudio=rstudio sas=sas"; strings.Join(ids, " ") != want {
		t.Errorf("ChoicesFor = %s, want %s", strings.Join(ids, " "), want)
	}
	if got[1].Name("fr") != "RStudio" || got[2].Allowed() {
		t.Errorf("rstudio named %q, sas allowed %v; want RStudio, false", got[1].Name("fr"), got[2].Allowed())
	}
}

func TestGroupsValidation(t *testing.T) {
	c := Config{
		Groups: []ImageGroup{{ID: "lab"}, {ID: "lab"}},
		Images: []Image{{ID: "a", Kind: KindJupyter, Container: "a:1", Group: "nope"}},
	}
	err := c.Validate()
	for _, want := range []string{`groups[1].id: duplicate "lab"`, `images[0].group: "nope"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to say %s", err, want)
		}
	}
}
