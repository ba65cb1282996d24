package spawner

import (
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

// Each GPU vendor is its own capacity pool: AMD starts do not wait behind
// NVIDIA ones.
func TestPoolOf(t *testing.T) {
	for _, tt := range []struct {
		spec store.Spec
		want string
	}{
		{store.Spec{Image: "jupyter"}, "jupyter/cpu"},
		{store.Spec{Image: "jupyter", GPUs: 1}, "jupyter/gpu"},
		{store.Spec{Image: "jupyter", GPUs: 1, GPUVendor: "amd"}, "jupyter/gpu-amd"},
		{store.Spec{CustomImage: "x/y:1", GPUs: 2, GPUVendor: "nvidia"}, "custom/gpu-nvidia"},
	} {
		if got := poolOf(tt.spec); got != tt.want {
			t.Errorf("poolOf(%+v) = %q, want %q", tt.spec, got, tt.want)
		}
	}
}
