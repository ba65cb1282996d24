package kube

import (
	"fmt"
	"slices"

	"github.com/spawnhub/spawnhub/store"
)

// gpuPlacement is what a GPU pod asks for and where it may run.
type gpuPlacement struct {
	resource     string
	nodeSelector map[string]string
	tolerations  []Toleration
}

// gpuPlacement is the placement of spec's GPUs: its vendor's when it names
// one, else gpu.*; false when the vendor is not configured (any more).
func (c Config) gpuPlacement(spec store.Spec) (gpuPlacement, bool) {
	g := c.GPU
	if spec.GPUVendor == "" {
		return gpuPlacement{resource: g.Resource, nodeSelector: g.NodeSelector, tolerations: g.Tolerations}, true
	}
	i := slices.IndexFunc(g.Vendors, func(v GPUVendor) bool { return v.ID == spec.GPUVendor })
	if i < 0 {
		return gpuPlacement{}, false
	}
	v := g.Vendors[i]
	p := gpuPlacement{resource: v.Resource, nodeSelector: v.NodeSelector, tolerations: v.Tolerations}
	if p.resource == "" {
		p.resource = g.Resource
	}
	return p, true
}

// checkGPUVendor refuses a spec whose GPU vendor the configuration no
// longer has, before anything is created: its pod would land on the wrong
// machines.
func (c Config) checkGPUVendor(spec store.Spec) error {
	if spec.GPUs == 0 {
		return nil
	}
	if _, ok := c.gpuPlacement(spec); !ok {
		return fmt.Errorf("gpu vendor %q is not in spawner.gpu.vendors", spec.GPUVendor)
	}
	return nil
}
