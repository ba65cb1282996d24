package form

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// GPUVendor is one kind of GPU the cluster offers when it has several
// (spawner.gpu.vendors), e.g. NVIDIA and AMD nodes. The user picks one in
// the form; the first is the default.
type GPUVendor struct {
	ID    string            `yaml:"id" json:"id"`
	Names map[string]string `yaml:"names" json:"names"`
	// Resource is the vendor's extended resource ("nvidia.com/gpu",
	// "amd.com/gpu"); gpu.resource when empty.
	Resource string `yaml:"resource" json:"resource"`
	// NodeSelector and Tolerations place this vendor's pods (kube
	// backend), instead of gpu.nodeSelector and gpu.tolerations.
	NodeSelector map[string]string `yaml:"nodeSelector" json:"-"`
	Tolerations  []Toleration      `yaml:"tolerations" json:"-"`
}

// Vendor returns the vendor with that id.
func (g GPU) Vendor(id string) (GPUVendor, bool) {
	i := slices.IndexFunc(g.Vendors, func(v GPUVendor) bool { return v.ID == id })
	if i < 0 {
		return GPUVendor{}, false
	}
	return g.Vendors[i], true
}

// withVendorDefaults gives each vendor without a resource gpu.resource
// (a copy: the configuration's slice is left alone).
func (g GPU) withVendorDefaults() GPU {
	vs := slices.Clone(g.Vendors)
	for i := range vs {
		if vs[i].Resource == "" {
			vs[i].Resource = g.Resource
		}
	}
	g.Vendors = vs
	return g
}

// validateVendors checks the vendors' ids; their resources and placement
// are the backend's (spawner/kube checks them).
func (g GPU) validateVendors() error {
	var errs []error
	seen := map[string]bool{}
	for i, v := range g.Vendors {
		path := fmt.Sprintf("gpu.vendors[%d]", i)
		if !validName(v.ID) {
			errs = append(errs, fmt.Errorf("%s.id: %q is not a lowercase name", path, v.ID))
		}
		if seen[v.ID] {
			errs = append(errs, fmt.Errorf("%s.id: duplicate %q", path, v.ID))
		}
		seen[v.ID] = true
	}
	return errors.Join(errs...)
}

// ruleGPUVendor checks the vendor the form names (one of gpu.vendors) and
// gives a GPU server its vendor, the first when the form names none. A
// server without GPUs, or a configuration without vendors, stores none.
func ruleGPUVendor(st *formState) *FieldError {
	g := st.cfg.GPU
	id := st.f.GPUVendor
	if id != "" && len(g.Vendors) == 0 {
		return fieldErr("gpuVendor", "gpuVendor.none", map[string]any{"vendor": id})
	}
	if id != "" {
		if _, ok := g.Vendor(id); !ok {
			return fieldErr("gpuVendor", "gpuVendor.unknown", map[string]any{"vendor": id, "vendors": vendorIDs(g.Vendors)})
		}
	}
	if st.spec.GPUs == 0 || len(g.Vendors) == 0 {
		return nil
	}
	if id == "" {
		id = g.Vendors[0].ID
	}
	st.spec.GPUVendor = id
	return nil
}

func vendorIDs(vs []GPUVendor) string {
	ids := make([]string, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	return strings.Join(ids, ", ")
}
