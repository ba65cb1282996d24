package form

import (
	"errors"
	"strings"
	"testing"
)

// vendorConfig is testConfig on a cluster with NVIDIA and AMD GPU nodes.
func vendorConfig() Config {
	c := testConfig()
	c.Limits.MaxGPUs = 2
	c.GPU = GPU{Vendors: []GPUVendor{
		{ID: "nvidia", Names: map[string]string{"en": "NVIDIA", "fr": "NVIDIA"}, Resource: "nvidia.com/gpu"},
		{ID: "amd", Names: map[string]string{"en": "AMD", "fr": "AMD"}, Resource: "amd.com/gpu",
			NodeSelector: map[string]string{"gpu": "amd"}},
		{ID: "other", Names: map[string]string{"en": "Other"}}, // gpu.resource
	}}
	return c
}

func TestGPUVendor(t *testing.T) {
	for _, tt := range []struct {
		name      string
		cfg       Config
		f         Form
		wantField string
		wantCode  string
		wantSpec  string
	}{
		{"chosen vendor", vendorConfig(), Form{Name: "lab", GPUs: 1, GPUVendor: "amd"}, "", "", "amd"},
		{"first vendor by default", vendorConfig(), Form{Name: "lab", GPUs: 2}, "", "", "nvidia"},
		{"unknown vendor", vendorConfig(), Form{Name: "lab", GPUs: 1, GPUVendor: "intel"}, "gpuVendor", "gpuVendor.unknown", ""},
		{"unknown vendor without GPUs", vendorConfig(), Form{Name: "lab", GPUVendor: "intel"}, "gpuVendor", "gpuVendor.unknown", ""},
		{"vendor without GPUs is not stored", vendorConfig(), Form{Name: "lab", GPUVendor: "amd"}, "", "", ""},
		{"no vendors configured: none stored", testConfig(), Form{Name: "lab", GPUs: 1}, "", "", ""},
		{"no vendors configured: none accepted", testConfig(), Form{Name: "lab", GPUs: 1, GPUVendor: "nvidia"}, "gpuVendor", "gpuVendor.none", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := BuildSpec(tt.cfg, Requester{}, tt.f)
			if got := fieldOf(err); got != tt.wantField {
				t.Fatalf("BuildSpec(%+v) field = %q, want %q (err %v)", tt.f, got, tt.wantField, err)
			}
			if err != nil {
				var fe *FieldError
				if errors.As(err, &fe); fe.Code != tt.wantCode || !errors.Is(err, ErrInvalidSpec) {
					t.Errorf("code = %q (invalid spec: %v), want %q", fe.Code, errors.Is(err, ErrInvalidSpec), tt.wantCode)
				}
				if _, ok := FieldErrorCodes[fe.Code]; !ok {
					t.Errorf("code %q is missing from FieldErrorCodes", fe.Code)
				}
				return
			}
			if spec.GPUVendor != tt.wantSpec {
				t.Errorf("spec.GPUVendor = %q, want %q", spec.GPUVendor, tt.wantSpec)
			}
		})
	}
}

// Every broken field is reported at once: a bad vendor does not hide a
// bad CPU.
func TestGPUVendorWithOtherErrors(t *testing.T) {
	_, err := BuildSpec(vendorConfig(), Requester{}, Form{Name: "lab", GPUVendor: "intel", CPU: "lots"})
	var all FieldErrors
	if !errors.As(err, &all) || len(all) != 2 || all[0].Field != "gpuVendor" || all[1].Field != "cpu" {
		t.Errorf("BuildSpec = %v, want the gpuVendor and cpu errors", err)
	}
}

func TestGPUVendorDefaults(t *testing.T) {
	cfg := vendorConfig()
	got := cfg.WithDefaults().GPU.Vendors
	if got[2].Resource != DefaultGPUResource || got[1].Resource != "amd.com/gpu" {
		t.Errorf("vendor resources = %q, %q, want %q, amd.com/gpu", got[2].Resource, got[1].Resource, DefaultGPUResource)
	}
	if cfg.GPU.Vendors[2].Resource != "" {
		t.Errorf("WithDefaults changed the configuration's own vendors: %+v", cfg.GPU.Vendors[2])
	}
}

func TestGPUVendorValidate(t *testing.T) {
	if err := vendorConfig().Validate(); err != nil {
		t.Errorf("Validate(vendor config) = %v, want nil", err)
	}
	bad := vendorConfig()
	bad.GPU.Vendors = append(bad.GPU.Vendors, GPUVendor{ID: "amd"}, GPUVendor{ID: "Big_Vendor"})
	err := bad.Validate()
	for _, want := range []string{"gpu.vendors[3].id: duplicate", "gpu.vendors[4].id"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}
