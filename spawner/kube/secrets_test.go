package kube

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// SecretProblems lists what, in a workspace pod, could hand the workspace
// a secret that is not its own: a service account token, a Secret or
// projected volume, a host folder, environment from a Secret other than
// the server's own token. Exported for the golden test (kube_test).
func SecretProblems(pod *corev1.Pod, server string) []string {
	var out []string
	if a := pod.Spec.AutomountServiceAccountToken; a == nil || *a {
		out = append(out, "automountServiceAccountToken is not false")
	}
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil || v.Projected != nil || v.HostPath != nil || v.CSI != nil {
			out = append(out, fmt.Sprintf("volume %s mounts a secret, a projection or a host folder", v.Name))
		}
	}
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		if len(c.EnvFrom) > 0 {
			out = append(out, fmt.Sprintf("container %s takes its environment from %v", c.Name, c.EnvFrom))
		}
		for _, e := range c.Env {
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil && ref.SecretKeyRef.Name != TokenSecretName(server) {
				out = append(out, fmt.Sprintf("env %s comes from Secret %s", e.Name, ref.SecretKeyRef.Name))
			}
		}
	}
	return out
}

// TestPodCarriesNoSecretOfSpawnhub: whatever the spec, a workspace pod
// gets its own token and nothing else secret; the service account token
// is mounted only when the operator asks.
func TestPodCarriesNoSecretOfSpawnhub(t *testing.T) {
	srv := store.Server{Namespace: "alice", Name: "lab", Spec: store.Spec{
		Image: "jupyter", Kind: form.KindJupyter, ContainerImage: "quay.io/jupyter/base-notebook:1",
		Workspace:      &store.Volume{Name: "lab-workspace", Size: "4Gi", New: true},
		DataVolumes:    []store.DataVolume{{Volume: store.Volume{Name: "lab-datavol-1", Size: "8Gi", New: true}, MountPath: "/home/jovyan/vol-1"}},
		ExtraVolumes:   []store.DataVolume{{Volume: store.Volume{Name: "shared"}, MountPath: "/mnt/shared"}},
		Env:            []store.EnvVar{{Name: "HTTPS_PROXY", Value: "http://proxy:3128"}},
		Configurations: []string{"proxy"}, SharedMemory: true, GPUs: 1,
	}}
	im := form.Image{ID: "jupyter", Kind: form.KindJupyter, ReadyPath: "api"}
	cfg := Config{ImagePullSecrets: []string{"registry"}}.withDefaults()
	pod := cfg.pod(srv, im)
	if problems := SecretProblems(pod, srv.Name); len(problems) != 0 {
		t.Errorf("pod of a full spec: %v", problems)
	}
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		t.Error("enableServiceLinks is not false: every Service's address would be in the environment")
	}
	cfg.AutomountServiceAccountToken = true
	if problems := SecretProblems(cfg.pod(srv, im), srv.Name); len(problems) != 1 {
		t.Errorf("with automountServiceAccountToken: problems %v, want exactly that one (the check can fail)", problems)
	}
}
