package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// deployConfig loads the config.yaml that deploy/configmap.yaml ships, as
// spawnhub loads its file.
func deployConfig(t *testing.T) Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatalf("configmap.yaml: %v", err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(nil))
	if err != nil {
		t.Fatalf("load the shipped configuration: %v", err)
	}
	return cfg
}

func TestShippedCatalogueIsTheGuides(t *testing.T) {
	cfg := deployConfig(t).Spawner.Config
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the shipped spawner configuration is invalid: %v", err)
	}
	var got []string
	for _, ch := range cfg.ChoicesFor(form.Requester{Groups: []string{"statcan-employees"}}) {
		var vs []string
		for _, v := range ch.Variants {
			vs = append(vs, v.Name("en")+"/"+v.Kind)
		}
		got = append(got, ch.Name("en")+": "+strings.Join(vs, ", "))
	}
	want := []string{"JupyterLab: CPU/jupyter, PyTorch/jupyter, TensorFlow/jupyter", "RStudio: RStudio/rstudio",
		"Ubuntu desktop: Ubuntu desktop/desktop", "SAS: SAS/sas"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("catalogue = %q, want %q", got, want)
	}
	for _, ch := range cfg.ChoicesFor(form.Requester{Email: "someone@example.org"}) {
		if ch.ID == "sas" && ch.Allowed() {
			t.Error("SAS is offered to someone who is not an employee")
		}
	}
	l, gpu := cfg.Limits, cfg.GPU.Preset
	if l.CPU.Max != "15" || l.Memory.Max != "48Gi" || l.MaxGPUs != 1 || gpu.CPU != "6" || gpu.Memory != "96Gi" {
		t.Errorf("limits %+v, GPU preset %+v; want the guide's 15 CPU / 48Gi, and 6 CPU / 96Gi with 1 GPU", l, gpu)
	}
	if seed := seedPolicy(); l != seed.Limits || gpu != seed.GPU.Preset {
		t.Errorf("the shipped limits %+v differ from the embedded default's %+v", l, seed.Limits)
	}
	if !cfg.AllowCustomImages {
		t.Error("custom images (Advanced options) are off")
	}
}
