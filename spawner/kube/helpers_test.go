package kube_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/test/kubeenv"
	"github.com/spawnhub/spawnhub/test/poll"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// waitLimit bounds every wait on the cluster; healthy runs need well under
// a second each.
const waitLimit = 60 * time.Second

// images is the test catalogue.
var images = []form.Image{
	{ID: "jupyter", Kind: form.KindJupyter, Container: "quay.io/jupyter/scipy-notebook:2025-06-02", ReadyPath: "api"},
	{ID: "desktop", Kind: form.KindDesktop, Container: "ghcr.io/example/desktop:1", StripPrefix: true, PullPolicy: "Always"},
}

// imageOf is the image the manager resolves for srv.
func imageOf(srv store.Server) form.Image {
	im, _ := form.Config{Images: images}.ImageOf(srv.Spec)
	return im
}

// backend is a running Backend with its in-memory store.
type backend struct {
	*kube.Backend
	st   *memory.Store
	stop func() // ends Run and waits for it; idempotent
}

// startBackend runs a backend as rc's identity until the test ends.
func startBackend(t *testing.T, rc *rest.Config, cfg kube.Config, st *memory.Store) *backend {
	t.Helper()
	if st == nil {
		st = memory.New()
	}
	b, err := kube.New(kube.Options{Config: cfg, RESTConfig: rc, Events: st, Records: st,
		Ticks: make(chan time.Time)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }() // ends when stop cancels ctx
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(stop)
	return &backend{Backend: b, st: st, stop: stop}
}

// server is a record with a spec as the form would build it.
func server(ns, name string, spec store.Spec) store.Server {
	return store.Server{Namespace: ns, Name: name, Phase: store.PhaseStarting, Spec: spec}
}

func jupyterSpec(name string) store.Spec {
	return store.Spec{Image: "jupyter", Kind: form.KindJupyter, ContainerImage: images[0].Container,
		CPU: "500m", Memory: "1Gi", SharedMemory: true, Language: "en",
		Workspace: &store.Volume{Name: name + "-workspace", Size: "1Gi", New: true}}
}

// collect gathers progress events.
type collect struct{ events []store.Event }

func (c *collect) add(e store.Event) { c.events = append(c.events, e) }

func (c *collect) reasons() []string {
	var out []string
	for _, e := range c.events {
		out = append(out, e.Reason)
	}
	return out
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds, for up to waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, waitLimit, what, cond)
}

func podGone(t *testing.T, env *kubeenv.Env, ns, name string) bool {
	_, err := env.Admin.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	return err != nil
}

// golden compares obj, as JSON, with testdata/<name>.json.
func golden(t *testing.T, name string, obj any) {
	t.Helper()
	got, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", name, path, diffLines(string(got), string(want)))
	}
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var out []string
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			out = append(out, "got:  "+gl, "want: "+wl)
		}
	}
	return strings.Join(out, "\n")
}

// stored strips what the API server fills in per object (identity,
// versions, times, status), keeping the spec with its defaults.
func storedPod(p *corev1.Pod) *corev1.Pod {
	p = p.DeepCopy()
	p.ObjectMeta = metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, Annotations: p.Annotations}
	p.Spec.NodeName = ""
	p.Status = corev1.PodStatus{}
	return p
}

func storedClaim(c *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
	c = c.DeepCopy()
	c.ObjectMeta = metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace, Labels: c.Labels, Finalizers: c.Finalizers}
	c.Spec.VolumeName = ""
	c.Status = corev1.PersistentVolumeClaimStatus{}
	return c
}

func isErr(err error, target error) bool { return errors.Is(err, target) }
