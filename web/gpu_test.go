package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// vendorFixture serves a cluster with NVIDIA and AMD GPUs.
func vendorFixture(t *testing.T) *apiFixture {
	return newAPIFixtureWith(t, form.Quotas{}, form.Config{
		Images: []form.Image{{ID: "demo", Kind: form.KindDemo, Command: []string{"demo"}}},
		Limits: form.Limits{MaxGPUs: 1},
		GPU: form.GPU{Vendors: []form.GPUVendor{
			{ID: "nvidia", Names: map[string]string{"en": "NVIDIA"}, Resource: "nvidia.com/gpu"},
			{ID: "amd", Names: map[string]string{"en": "AMD", "fr": "AMD Instinct"}, Resource: "amd.com/gpu"},
		}},
	})
}

// The form's options list the vendors, named in the caller's language.
func TestConfigListsGPUVendors(t *testing.T) {
	fx := vendorFixture(t)
	res, out := fx.call("alice", "fr", "GET", "/api/v1/config", "")
	gpu, _ := out["gpu"].(map[string]any)
	vendors, _ := gpu["vendors"].([]any)
	if res.StatusCode != http.StatusOK || len(vendors) != 2 {
		t.Fatalf("GET /api/v1/config = %d, gpu %v; want two vendors", res.StatusCode, gpu)
	}
	amd, _ := vendors[1].(map[string]any)
	if amd["id"] != "amd" || amd["name"] != "AMD Instinct" || amd["resource"] != "amd.com/gpu" {
		t.Errorf("second vendor = %v, want amd named in French with its resource", amd)
	}
	if nv, _ := vendors[0].(map[string]any); nv["name"] != "NVIDIA" {
		t.Errorf("first vendor = %v, want its English name where it has no French one", nv)
	}
}

// A vendor the cluster lacks is a 400 on the gpuVendor field, in the
// caller's language, and nothing is created; a known one is stored in the
// spec and shown in the server's view.
func TestCreateChecksGPUVendor(t *testing.T) {
	fx := vendorFixture(t)
	ctx := context.Background()
	res, out := fx.call("alice", "fr", "POST", "/api/v1/namespaces/alice/servers", `{"name":"lab","image":"demo","gpus":1,"gpuVendor":"intel"}`)
	if res.StatusCode != http.StatusBadRequest || out["field"] != "gpuVendor" ||
		out["error"] != "Il n’y a pas de fabricant de GPU intel ; choisissez parmi nvidia, amd." {
		t.Errorf("POST with gpuVendor intel = %d %v, want 400 on gpuVendor in French", res.StatusCode, out)
	}
	if srvs, _ := fx.st.ListServers(ctx, ""); len(srvs) != 0 {
		t.Errorf("servers after the refusal = %v, want none", srvs)
	}
	res, out = fx.call("alice", "en", "POST", "/api/v1/namespaces/alice/servers", `{"name":"lab","image":"demo","gpus":1,"gpuVendor":"amd"}`)
	if res.StatusCode >= 300 {
		t.Fatalf("POST with gpuVendor amd = %d %v, want it created", res.StatusCode, out)
	}
	if spec, _ := out["spec"].(map[string]any); spec["gpuVendor"] != "amd" {
		t.Errorf("created server's spec = %v, want gpuVendor amd", out["spec"])
	}
	srv, err := fx.st.GetServer(ctx, "alice", "lab")
	if err != nil || srv.Spec.GPUVendor != "amd" || srv.Spec.GPUs != 1 {
		t.Errorf("stored server = %+v, %v; want 1 GPU of vendor amd", srv.Spec, err)
	}
	req := httptest.NewRequest("GET", "/?ns=alice", nil)
	req.Header.Set("X-User", "alice")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", "fr")
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "1 GPU AMD Instinct") {
		t.Errorf("landing page = %d, want the server's resources with its vendor in French (1 GPU AMD Instinct)", rec.Code)
	}
}
