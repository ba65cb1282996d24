package kube_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// shippedCatalogue is the spawner configuration deploy/configmap.yaml
// ships.
func shippedCatalogue(t *testing.T) form.Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(deployDir, "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Spawner form.Config `yaml:"spawner"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Spawner
}

// testKindPods starts one server of every image of the shipped catalogue,
// its spec built by the form as for a user, and compares each pod with
// testdata/pod-<image>.json: the kind's port, probe and NB_PREFIX.
func testKindPods(t *testing.T, env *kubeenv.Env) {
	ctx := ctxFor(t)
	cat := shippedCatalogue(t)
	b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true}, nil)
	employee := form.Requester{UserID: "jane", Groups: []string{"statcan-employees"}}
	for _, im := range cat.Images {
		t.Run(im.ID, func(t *testing.T) {
			spec, err := form.BuildSpec(cat, employee, form.Form{Name: im.ID, Image: im.ID})
			if err != nil {
				t.Fatalf("BuildSpec(%s): %v", im.ID, err)
			}
			srv := server("kinds", im.ID, spec)
			var p collect
			route, _, err := b.Start(ctx, srv, im, "kind-token", p.add)
			if err != nil {
				t.Fatalf("Start: %v (progress %v)", err, p.reasons())
			}
			t.Cleanup(func() { _ = b.Stop(ctxFor(t), srv) })
			pod, err := env.Admin.CoreV1().Pods("kinds").Get(ctx, im.ID, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			port := strconv.Itoa(im.Profile().Port)
			if want := "http://" + net.JoinHostPort(pod.Status.PodIP, port); route.Target != want || route.StripPrefix != im.Profile().StripPrefix {
				t.Errorf("route %+v, want target %s, stripPrefix %v", route, want, im.Profile().StripPrefix)
			}
			golden(t, "pod-"+im.ID, storedPod(pod))
			if probe := pod.Spec.Containers[0].ReadinessProbe; probe.HTTPGet != nil && strings.Contains(probe.HTTPGet.Path, "status") {
				t.Errorf("%s probes %s, which needs the token the kubelet does not send", im.ID, probe.HTTPGet.Path)
			}
		})
	}
}
