package spawner

import (
	"errors"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// demoCommand is a command like the local backend's demo image.
var demoCommand = []string{"{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}"}

func testConfig() form.Config {
	return form.Config{
		Images: []form.Image{
			{ID: "demo", Kind: form.KindDemo, Command: demoCommand, Default: true},
			{ID: "jupyter", Kind: form.KindJupyter, Command: []string{"/usr/bin/python3", "-m", "notebook"}, ReadyPath: "api/status"},
			{ID: "sas", Kind: form.KindSAS, Container: "sas:1", Groups: []string{"employees"}, EmailDomains: []string{"statcan.gc.ca"}},
		},
		Configurations: []form.Configuration{{ID: "proxy", Env: map[string]string{"HTTP_PROXY": "http://p", "A": "1"}}},
		Limits: form.Limits{
			CPU:           form.Range{Min: "0.1", Max: "4", Default: "1"},
			Memory:        form.Range{Min: "512Mi", Max: "16Gi", Default: "2Gi"},
			WorkspaceSize: form.Range{Min: "4Gi", Max: "32Gi", Default: "16Gi"},
			VolumeSize:    form.Range{Min: "1Gi", Max: "512Gi", Default: "64Gi"},
			MaxGPUs:       1,
		},
	}
}

func fieldOf(err error) string {
	var fe *form.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	if err != nil {
		return "not a FieldError: " + err.Error()
	}
	return ""
}
