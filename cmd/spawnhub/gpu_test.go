package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gpuVendorsYAML is a cluster with NVIDIA and AMD nodes, each tainted.
const gpuVendorsYAML = `
spawner:
  backend: kubernetes
  images: [{id: lab, kind: jupyter, container: "jupyter/base:1"}]
  gpu:
    vendors:
      - id: nvidia
        names: {en: NVIDIA, fr: NVIDIA}
        resource: nvidia.com/gpu
        nodeSelector: {gpu: nvidia}
        tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      - id: amd
        names: {en: AMD, fr: AMD}
        resource: amd.com/gpu
        nodeSelector: {gpu: amd}
        tolerations: [{key: amd.com/gpu, operator: Exists, effect: %s}]
`

func loadGPUConfig(t *testing.T, effect string) Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(gpuVendorsYAML, "%s", effect, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(map[string]string{"SPAWNHUB_DATADIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// spawner.gpu.vendors reach the Kubernetes backend with their placement.
func TestGPUVendorsReachTheKubeBackend(t *testing.T) {
	cfg := loadGPUConfig(t, "NoSchedule")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	vs := kubeConfig(cfg.Spawner).GPU.Vendors
	if len(vs) != 2 || vs[1].ID != "amd" || vs[1].Resource != "amd.com/gpu" || vs[1].NodeSelector["gpu"] != "amd" ||
		len(vs[1].Tolerations) != 1 || vs[1].Names["fr"] != "AMD" {
		t.Errorf("kube vendors = %+v, want nvidia and amd with their placement", vs)
	}
}

func TestGPUVendorPlacementIsValidated(t *testing.T) {
	err := loadGPUConfig(t, "Sometimes").Validate()
	if err == nil || !strings.Contains(err.Error(), "spawner.gpu.vendors[1].tolerations[0].effect") {
		t.Errorf("Validate() = %v, want a problem with spawner.gpu.vendors[1].tolerations[0].effect", err)
	}
}
