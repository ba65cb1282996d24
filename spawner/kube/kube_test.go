package kube_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// TestBackend runs the backend against one real control plane (etcd,
// kube-apiserver, scheduler, controller-manager, kwok).
func TestBackend(t *testing.T) {
	env := kubeenv.Start(t, kubeenv.Options{
		ExtraTokens: []kubeenv.Token{{User: "spawnhub-sa", Groups: []string{"spawnhub-test"}}},
	})
	b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true,
		NamespaceLabels: map[string]string{"team": "data"},
		AllowFrom:       kube.AllowFrom{Namespace: "spawnhub", PodLabels: map[string]string{"app.kubernetes.io/name": "spawnhub"}},
		Ports:           map[string]int{"desktop": 6080}}, nil)

	t.Run("objects of a full spec", func(t *testing.T) { testGolden(t, env, b) })
	t.Run("pods of each kind", func(t *testing.T) { testKindPods(t, env) })
	t.Run("GPU vendors", func(t *testing.T) { testGPUVendors(t, env) })
	t.Run("stop start delete", func(t *testing.T) { testLifecycle(t, env, b) })
	t.Run("volume attach rules", func(t *testing.T) { testVolumes(t, env, b) })
	t.Run("events copied", func(t *testing.T) { testEvents(t, env, b) })
	t.Run("fail fast", func(t *testing.T) { testFailFast(t, env) })
	t.Run("exit reported", func(t *testing.T) { testExit(t, env, b) })
	t.Run("sweep deletes orphans", func(t *testing.T) { testSweep(t, env, b) })
	t.Run("reconciler after a restart", func(t *testing.T) { testReconciler(t, env) })
	t.Run("deploy ClusterRole", func(t *testing.T) { testRBAC(t, env) })
	t.Run("deploy manifests dry run", func(t *testing.T) { testDeployDryRun(t, env) })
}

// fullSpec uses every part of a spec.
func fullSpec() store.Spec {
	return store.Spec{
		Image: "jupyter", Kind: form.KindJupyter, ContainerImage: images[0].Container,
		CPU: "1", CPULimit: "2", Memory: "2Gi", MemoryLimit: "4Gi", GPUs: 1,
		Workspace: &store.Volume{Name: "full-workspace", Size: "16Gi", New: true},
		DataVolumes: []store.DataVolume{
			{Volume: store.Volume{Name: "full-datavol-1", Size: "64Gi", New: true}, MountPath: "/home/jovyan/vol-1"},
		},
		Configurations: []string{"proxy"},
		Env:            []store.EnvVar{{Name: "HTTPS_PROXY", Value: "http://proxy.example:3128"}},
		SharedMemory:   true, Language: "fr",
	}
}

func testGolden(t *testing.T, env *kubeenv.Env, b *backend) {
	ctx := ctxFor(t)
	gpuBackend := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true,
		GPU: kube.GPUConfig{NodeSelector: map[string]string{"gpu": "true"},
			Tolerations: []kube.Toleration{{Key: "nvidia.com/gpu", Operator: "Exists", Effect: "NoSchedule"}}}}, nil)
	gpuNode := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gpu-node", Labels: map[string]string{"gpu": "true"}},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("4")}}}
	if _, err := env.AddNode(ctx, gpuNode); err != nil {
		t.Fatal(err)
	}
	srv := server("golden", "full", fullSpec())
	var p collect
	route, instance, err := gpuBackend.Start(ctx, srv, imageOf(srv), "secret-token", p.add)
	if err != nil {
		t.Fatalf("Start: %v (progress %v)", err, p.reasons())
	}
	pod, err := env.Admin.CoreV1().Pods("golden").Get(ctx, "full", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(pod.UID) != instance {
		t.Errorf("instance %q, want the pod UID %q", instance, pod.UID)
	}
	if pod.Spec.NodeName != "gpu-node" {
		t.Errorf("GPU pod on node %q, want gpu-node", pod.Spec.NodeName)
	}
	if want := "http://" + net.JoinHostPort(pod.Status.PodIP, "8888"); route.Target != want || route.Token != "secret-token" || route.StripPrefix {
		t.Errorf("route %+v, want target %s with the token, prefix kept", route, want)
	}
	if !strings.HasPrefix(pod.Status.PodIP, "127.") {
		t.Fatalf("pod IP %s is not a loopback address", pod.Status.PodIP)
	}
	golden(t, "pod", storedPod(pod))
	if problems := kube.SecretProblems(pod, "full"); len(problems) != 0 {
		t.Errorf("the pod could read secrets that are not its own: %v", problems)
	}
	for _, name := range []string{"full-workspace", "full-datavol-1"} {
		c, err := env.Admin.CoreV1().PersistentVolumeClaims("golden").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "pvc-"+name, storedClaim(c))
	}
	sec, err := env.Admin.CoreV1().Secrets("golden").Get(ctx, kube.TokenSecretName("full"), metav1.GetOptions{})
	if err != nil || string(sec.Data["token"]) != "secret-token" {
		t.Errorf("token secret: %v, data %q, want the token", err, sec.Data["token"])
	}
	ns, err := env.Admin.CoreV1().Namespaces().Get(ctx, "golden", metav1.GetOptions{})
	if err != nil || ns.Labels[kube.LabelManagedBy] != kube.ManagedBy {
		t.Errorf("created namespace: %v, labels %v", err, ns.Labels)
	}
	if err := gpuBackend.Stop(ctx, srv); err != nil {
		t.Fatal(err)
	}
}

func testLifecycle(t *testing.T, env *kubeenv.Env, b *backend) {
	ctx := ctxFor(t)
	srv := server("alice", "lab", jupyterSpec("lab"))
	var p collect
	_, first, err := b.Start(ctx, srv, imageOf(srv), "t1", p.add)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	for _, want := range []string{"NamespaceCreated", "VolumeCreated", "PodCreated", "PodReady"} {
		if !strings.Contains(strings.Join(p.reasons(), " "), want) {
			t.Errorf("progress %v lacks %s", p.reasons(), want)
		}
	}
	if _, err := env.Admin.NetworkingV1().NetworkPolicies("alice").Get(ctx, kube.NetworkPolicyName, metav1.GetOptions{}); err != nil {
		t.Errorf("network policy: %v", err)
	}
	srv.Instance = first
	if alive, err := b.Alive(ctx, srv); !alive || err != nil {
		t.Errorf("Alive after Start = %v, %v; want true", alive, err)
	}
	if err := b.Stop(ctx, srv); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !podGone(t, env, "alice", "lab") {
		t.Errorf("pod still there after Stop")
	}
	if alive, err := b.Alive(ctx, srv); alive || err != nil {
		t.Errorf("Alive after Stop = %v, %v; want false", alive, err)
	}
	if _, err := env.Admin.CoreV1().PersistentVolumeClaims("alice").Get(ctx, "lab-workspace", metav1.GetOptions{}); err != nil {
		t.Errorf("workspace claim after Stop: %v, want kept", err)
	}
	if _, err := env.Admin.CoreV1().Secrets("alice").Get(ctx, kube.TokenSecretName("lab"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("token secret after Stop: %v, want deleted", err)
	}

	p = collect{}
	_, second, err := b.Start(ctx, srv, imageOf(srv), "t2", p.add)
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if second == first {
		t.Errorf("second Start reused instance %s", first)
	}
	if strings.Contains(strings.Join(p.reasons(), " "), "VolumeCreated") {
		t.Errorf("second Start created volumes again: %v", p.reasons())
	}
	srv.Instance = second
	if err := b.Stop(ctx, srv); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteVolumes(ctx, srv); err != nil {
		t.Fatalf("DeleteVolumes: %v", err)
	}
	eventually(t, "workspace claim deleted", func() bool {
		_, err := env.Admin.CoreV1().PersistentVolumeClaims("alice").Get(ctx, "lab-workspace", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

func testVolumes(t *testing.T, env *kubeenv.Env, b *backend) {
	ctx := ctxFor(t)
	const ns = "vols"
	if err := env.CreateNamespace(ctx, ns, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateVolume(ctx, ns, spawner.Volume{Name: "shared", Size: "2Gi"}); err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	if _, err := b.CreateVolume(ctx, ns, spawner.Volume{Name: "shared", Size: "2Gi"}); !isErr(err, store.ErrConflict) {
		t.Errorf("CreateVolume twice: %v, want ErrConflict", err)
	}
	withData := func(name string, dv store.DataVolume) store.Server {
		spec := jupyterSpec(name)
		spec.DataVolumes = []store.DataVolume{dv}
		return server(ns, name, spec)
	}
	one := withData("one", store.DataVolume{Volume: store.Volume{Name: "shared"}, MountPath: "/data"})
	_, inst, err := b.Start(ctx, one, imageOf(one), "t", func(store.Event) {})
	if err != nil {
		t.Fatalf("Start with an existing volume: %v", err)
	}
	one.Instance = inst

	for _, tt := range []struct {
		name string
		srv  store.Server
		want string
	}{
		{"existing volume mounted elsewhere", withData("two", store.DataVolume{Volume: store.Volume{Name: "shared"}, MountPath: "/data"}), "mounted by server one"},
		{"missing existing volume", withData("three", store.DataVolume{Volume: store.Volume{Name: "nope"}, MountPath: "/data"}), "does not exist"},
		{"new volume that another server mounts", withData("four", store.DataVolume{Volume: store.Volume{Name: "one-workspace", Size: "1Gi", New: true}, MountPath: "/data"}), "mounted by server one"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := b.Start(ctx, tt.srv, imageOf(tt.srv), "t", func(store.Event) {})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: error %v, want one containing %q", err, tt.want)
			}
			if !podGone(t, env, ns, tt.srv.Name) {
				t.Errorf("refused start left pod %s", tt.srv.Name)
			}
			if _, err := env.Admin.CoreV1().PersistentVolumeClaims(ns).Get(ctx, tt.srv.Name+"-workspace", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("refused start created its workspace claim: %v", err)
			}
		})
	}

	vols, err := b.ListVolumes(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vols {
		names = append(names, v.Name+"="+v.Size)
	}
	if got, want := strings.Join(names, " "), "one-workspace=1Gi shared=2Gi"; got != want {
		t.Errorf("ListVolumes = %s, want %s", got, want)
	}
	if err := b.Stop(ctx, one); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteVolume(ctx, ns, "shared"); err != nil {
		t.Errorf("DeleteVolume: %v", err)
	}
	if err := b.DeleteVolume(ctx, ns, "shared"); !isErr(err, store.ErrNotFound) {
		t.Errorf("DeleteVolume twice: %v, want ErrNotFound", err)
	}
}

func testEvents(t *testing.T, env *kubeenv.Env, b *backend) {
	ctx := ctxFor(t)
	srv := server("evs", "lab", jupyterSpec("lab"))
	_, inst, err := b.Start(ctx, srv, imageOf(srv), "t", func(store.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	srv.Instance = inst
	defer b.Stop(ctx, srv)
	pod, err := env.Admin.CoreV1().Pods("evs").Get(ctx, "lab", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	// As the kubelet and the volume controller would report them.
	for _, ev := range []corev1.Event{
		{ObjectMeta: metav1.ObjectMeta{GenerateName: "lab-"}, Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "evs", Name: "lab", UID: pod.UID}, LastTimestamp: now, Count: 1},
		{ObjectMeta: metav1.ObjectMeta{GenerateName: "lab-workspace-"}, Type: "Normal", Reason: "ExternalProvisioning", Message: "waiting for a volume",
			InvolvedObject: corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: "evs", Name: "lab-workspace"}, LastTimestamp: now, Count: 1},
		{ObjectMeta: metav1.ObjectMeta{GenerateName: "other-"}, Type: "Warning", Reason: "Unrelated", Message: "not ours",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "evs", Name: "other"}, LastTimestamp: now, Count: 1},
	} {
		if _, err := env.Admin.CoreV1().Events("evs").Create(ctx, &ev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	has := func(evs []store.Event, reason string) bool {
		for _, e := range evs {
			if e.Reason == reason {
				return true
			}
		}
		return false
	}
	var evs []store.Event
	eventually(t, "Scheduled, BackOff and ExternalProvisioning copied", func() bool {
		evs, _ = b.st.ListEvents(ctx, srv.Key())
		return has(evs, "Scheduled") && has(evs, "BackOff") && has(evs, "ExternalProvisioning")
	})
	if has(evs, "Unrelated") {
		t.Errorf("an event of another pod was copied: %v", evs)
	}
	for _, e := range evs {
		if e.Reason == "ExternalProvisioning" && !strings.HasPrefix(e.Message, "volume lab-workspace: ") {
			t.Errorf("claim event message %q, want it to name the volume", e.Message)
		}
	}
}

func testExit(t *testing.T, env *kubeenv.Env, b *backend) {
	ctx := ctxFor(t)
	exits := make(chan string, 4)
	b.SetExitHandler(func(key store.Key, instance string, why error) {
		exits <- key.String() + " " + instance + " " + fmt.Sprint(why)
	})
	defer b.SetExitHandler(nil)
	srv := server("exits", "lab", jupyterSpec("lab"))
	_, inst, err := b.Start(ctx, srv, imageOf(srv), "t", func(store.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.CoreV1().Pods("exits").Delete(ctx, "lab", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-exits:
		if want := "exits/lab " + inst + " the pod was deleted"; got != want {
			t.Errorf("exit report %q, want %q", got, want)
		}
	case <-ctx.Done():
		t.Fatal("no exit reported for a deleted pod")
	}
}

func testSweep(t *testing.T, env *kubeenv.Env, b *backend) {
	ctx := ctxFor(t)
	orphan := server("sweep", "orphan", jupyterSpec("orphan"))
	kept := server("sweep", "kept", jupyterSpec("kept"))
	for _, s := range []*store.Server{&orphan, &kept} {
		_, inst, err := b.Start(ctx, *s, imageOf(*s), "t", func(store.Event) {})
		if err != nil {
			t.Fatal(err)
		}
		s.Instance, s.Phase = inst, store.PhaseRunning
	}
	if _, err := b.st.CreateServer(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if err := b.Sweep(ctx); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	eventually(t, "orphan pod deleted", func() bool { return podGone(t, env, "sweep", "orphan") })
	if podGone(t, env, "sweep", "kept") {
		t.Errorf("Sweep deleted the pod of a Running record")
	}
	b.Stop(ctx, kept)
}
