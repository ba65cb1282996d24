package form

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of spawner tests")

// seedConfig is the seed platform's form: its machines (15 CPU / 48Gi on
// CPU nodes, a 6 CPU / 96Gi preset with one GPU), sizes and
// configurations.
func seedConfig() Config {
	return Config{
		Images: []Image{
			{ID: "jupyterlab-pytorch", Kind: KindJupyter, Container: "k8scc01covidacr.azurecr.io/jupyterlab-pytorch:v1", StripPrefix: false},
			{ID: "sas", Kind: KindSAS, Container: "k8scc01covidacr.azurecr.io/sas:v1", Groups: []string{"statcan-employees"}},
		},
		Configurations: []Configuration{
			{ID: "proxy", Names: map[string]string{"en": "Proxy", "fr": "Mandataire"},
				Env: map[string]string{"HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "http://proxy:3128"}, Labels: map[string]string{"network": "proxied"}},
			{ID: "datasets", Names: map[string]string{"en": "Shared datasets", "fr": "Données partagées"},
				Labels:  map[string]string{"datasets": "true"},
				Volumes: []ConfigurationVolume{{Name: "shared-datasets", MountPath: "/home/jovyan/datasets"}}},
		},
		Limits: Limits{
			CPU:           Range{Min: "0.5", Max: "15", Default: "1"},
			Memory:        Range{Min: "1Gi", Max: "48Gi", Default: "4Gi"},
			WorkspaceSize: Range{Min: "4Gi", Max: "32Gi", Default: "16Gi"},
			VolumeSize:    Range{Min: "4Gi", Max: "512Gi", Default: "16Gi"},
			MaxGPUs:       1,
		},
		GPU: GPU{Preset: Preset{CPU: "6", Memory: "96Gi"}},
	}
}

// TestCompleteFormGolden: a complete form — GPU, two data volumes (a new
// and an existing one), both configurations, shared memory, French —
// produces exactly the spec in testdata/complete-form.golden.json.
func TestCompleteFormGolden(t *testing.T) {
	yes := true
	f := Form{
		Name: "gpu-lab", Image: "jupyterlab-pytorch",
		CPU: "2", CPULimit: "4", Memory: "8Gi", MemoryLimit: "16Gi", // replaced by the GPU preset
		GPUs:      1,
		Workspace: &WorkspaceForm{New: &NewVolumeForm{Size: "32Gi"}},
		DataVolumes: []DataVolumeForm{
			{New: &NewVolumeForm{Size: "128Gi"}},
			{Existing: "survey-2021", MountPath: "/home/jovyan/survey"},
		},
		Configurations: []string{"proxy", "datasets"},
		SharedMemory:   &yes,
		Language:       "fr",
	}
	if err := seedConfig().Validate(); err != nil {
		t.Fatalf("seed config: %v", err)
	}
	spec, err := BuildSpec(seedConfig(), Requester{UserID: "jane", Language: "en"}, f)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(spec, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "complete-form.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCompleteFormGolden -update once)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("spec of the complete form:\n%s\nwant (%s):\n%s", got, path, want)
	}
}
