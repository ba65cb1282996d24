package kube_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// vendorCatalogue is a form policy on a cluster with NVIDIA and AMD GPU
// nodes, each pool tainted for its own pods.
func vendorCatalogue() form.Config {
	return form.Config{Images: images, Limits: form.Limits{MaxGPUs: 2, WorkspaceSize: form.Range{Default: "1Gi"}}, GPU: form.GPU{Vendors: []form.GPUVendor{
		{ID: "nvidia", Names: map[string]string{"en": "NVIDIA"}, Resource: "nvidia.com/gpu",
			NodeSelector: map[string]string{"gpu-vendor": "nvidia"},
			Tolerations:  []form.Toleration{{Key: "nvidia.com/gpu", Operator: "Exists", Effect: "NoSchedule"}}},
		{ID: "amd", Names: map[string]string{"en": "AMD"}, Resource: "amd.com/gpu",
			NodeSelector: map[string]string{"gpu-vendor": "amd"},
			Tolerations:  []form.Toleration{{Key: "amd.com/gpu", Operator: "Exists", Effect: "NoSchedule"}}},
	}}}
}

// vendorNode is a kwok node of one GPU vendor: labelled, tainted, with 4
// of its GPUs.
func vendorNode(name, vendor, res string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"gpu-vendor": vendor}},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: res, Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceName(res): resource.MustParse("4")}}}
}

// testGPUVendors starts a server of each vendor, its spec built by the form
// as for a user who picked it: each pod asks for its vendor's resource and
// runs on that vendor's node. A spec whose vendor is gone creates nothing.
func testGPUVendors(t *testing.T, env *kubeenv.Env) {
	ctx := ctxFor(t)
	cat := vendorCatalogue()
	b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true, GPU: kube.GPUConfig{Vendors: cat.GPU.Vendors}}, nil)
	for _, n := range []*corev1.Node{vendorNode("nvidia-node", "nvidia", "nvidia.com/gpu"), vendorNode("amd-node", "amd", "amd.com/gpu")} {
		if _, err := env.AddNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ vendor, resource, node string }{
		{"amd", "amd.com/gpu", "amd-node"},
		{"", "nvidia.com/gpu", "nvidia-node"}, // the first vendor is the default
	} {
		name := "gpu-" + tt.node
		spec, err := form.BuildSpec(cat, form.Requester{UserID: "jane"}, form.Form{Name: name, Image: "jupyter", GPUs: 2, GPUVendor: tt.vendor})
		if err != nil {
			t.Fatalf("BuildSpec(vendor %q): %v", tt.vendor, err)
		}
		srv := server("vendors", name, spec)
		var p collect
		if _, _, err := b.Start(ctx, srv, imageOf(srv), "vendor-token", p.add); err != nil {
			t.Fatalf("Start(vendor %q): %v (progress %v)", tt.vendor, err, p.reasons())
		}
		t.Cleanup(func() { _ = b.Stop(ctxFor(t), srv) })
		pod, err := env.Admin.CoreV1().Pods("vendors").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lim := pod.Spec.Containers[0].Resources.Limits
		if q := lim[corev1.ResourceName(tt.resource)]; pod.Spec.NodeName != tt.node || q.Value() != 2 || len(lim) != 1 {
			t.Errorf("vendor %q pod on %q with limits %v, want %s with 2 %s only", tt.vendor, pod.Spec.NodeName, lim, tt.node, tt.resource)
		}
		if tt.vendor == "amd" {
			golden(t, "pod-gpu-amd", storedPod(pod))
		}
	}

	gone := server("vendors", "gone", jupyterSpec("gone"))
	gone.Spec.GPUs, gone.Spec.GPUVendor = 1, "intel"
	var p collect
	if _, _, err := b.Start(ctx, gone, imageOf(gone), "t", p.add); err == nil {
		t.Error("Start with a vendor the configuration lacks succeeded, want an error")
	}
	if _, err := env.Admin.CoreV1().PersistentVolumeClaims("vendors").Get(ctx, "gone-workspace", metav1.GetOptions{}); err == nil {
		t.Error("Start with an unknown vendor created the workspace claim, want nothing created")
	}
}
