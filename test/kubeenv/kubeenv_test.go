package kubeenv_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// waitTimeout bounds each wait on the cluster; a healthy run needs well
// under a second for each.
const waitTimeout = 60 * time.Second

const ns = "kubeenv-test"

func TestEnv(t *testing.T) {
	env := kubeenv.Start(t, kubeenv.Options{
		ExtraTokens: []kubeenv.Token{{User: "spawnhub", Groups: []string{"spawnhub-test"}}},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 3*waitTimeout)
	defer cancel()
	if err := env.CreateNamespace(ctx, ns, map[string]string{"team": "a"}); err != nil {
		t.Fatal(err)
	}

	t.Run("pvc bound", func(t *testing.T) { testPVCBound(ctx, t, env) })
	t.Run("pod runs on a loopback address", func(t *testing.T) { testPod(ctx, t, env) })
	t.Run("tainted gpu node", func(t *testing.T) { testGPUNode(ctx, t, env) })
	t.Run("rbac", func(t *testing.T) { testRBAC(ctx, t, env) })
	t.Run("kubectl", func(t *testing.T) { testKubectl(t, env) })
}

func testPVCBound(ctx context.Context, t *testing.T, env *kubeenv.Env) {
	pvcs := env.Admin.CoreV1().PersistentVolumeClaims(ns)
	pvc, err := pvcs.Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "work"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ptrString(pvc.Spec.StorageClassName); got != kubeenv.StorageClassName {
		t.Errorf("storage class %q, want the default %q", got, kubeenv.StorageClassName)
	}
	began := time.Now()
	got := waitFor(ctx, t, pvcs.Watch, "work", func(p *corev1.PersistentVolumeClaim) bool {
		return p.Status.Phase == corev1.ClaimBound
	})
	t.Logf("PVC Bound %v after creation, volume %s", time.Since(began).Round(time.Millisecond), got.Spec.VolumeName)
	if got.Spec.VolumeName == "" {
		t.Errorf("bound PVC has no volume")
	}
}

func testPod(ctx context.Context, t *testing.T, env *kubeenv.Env) {
	pods := env.Admin.CoreV1().Pods(ns)
	began := time.Now()
	_, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "lab", Labels: map[string]string{"app": "lab"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:         "notebook",
				Image:        "example.invalid/jupyter:1",
				Ports:        []corev1.ContainerPort{{ContainerPort: 8888}},
				VolumeMounts: []corev1.VolumeMount{{Name: "work", MountPath: "/home/jovyan"}},
			}},
			Volumes: []corev1.Volume{{Name: "work", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "work"},
			}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := waitFor(ctx, t, pods.Watch, "lab", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && podReady(p)
	})
	t.Logf("pod Running and Ready %v after creation, IP %s", time.Since(began).Round(time.Millisecond), pod.Status.PodIP)

	if pod.Spec.NodeName != kubeenv.NodeName {
		t.Errorf("pod scheduled to %q, want %q", pod.Spec.NodeName, kubeenv.NodeName)
	}
	_, cidr, err := net.ParseCIDR(env.PodCIDR)
	if err != nil {
		t.Fatalf("env.PodCIDR %q: %v", env.PodCIDR, err)
	}
	_, want, _ := net.ParseCIDR("127.1.0.0/16")
	ip := net.ParseIP(pod.Status.PodIP)
	if ip == nil || !cidr.Contains(ip) || !want.Contains(ip) {
		t.Errorf("pod IP %q, want one inside %s and %s", pod.Status.PodIP, env.PodCIDR, want)
	}
	if pod.Status.HostIP != "127.0.0.1" {
		t.Errorf("host IP %q, want 127.0.0.1", pod.Status.HostIP)
	}

	began = time.Now()
	if err := pods.Delete(ctx, "lab", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, func(ctx context.Context) (string, error) {
		p, err := pods.Get(ctx, "lab", metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return p.ResourceVersion, nil
	}, pods.Watch, "lab")
	t.Logf("pod gone %v after delete", time.Since(began).Round(time.Millisecond))
}

// testGPUNode adds a tainted node with fake GPUs: a pod that requests one,
// selects the pool and tolerates the taint lands there and runs.
func testGPUNode(ctx context.Context, t *testing.T, env *kubeenv.Env) {
	const gpu corev1.ResourceName = "nvidia.com/gpu"
	taint := corev1.Taint{Key: gpu.String(), Value: "present", Effect: corev1.TaintEffectNoSchedule}
	node, err := env.AddNode(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "kwok-gpu-0", Labels: map[string]string{"pool": "gpu"}},
		Spec:       corev1.NodeSpec{Taints: []corev1.Taint{taint}},
		Status:     corev1.NodeStatus{Capacity: corev1.ResourceList{gpu: resource.MustParse("2")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := node.Status.Allocatable[gpu]; got.Value() != 2 {
		t.Errorf("node allocatable %s = %s, want 2", gpu, got.String())
	}
	pods := env.Admin.CoreV1().Pods(ns)
	_, err = pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "gpu"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"pool": "gpu"},
			Tolerations:  []corev1.Toleration{{Key: taint.Key, Operator: corev1.TolerationOpExists, Effect: taint.Effect}},
			Containers: []corev1.Container{{
				Name:      "notebook",
				Image:     "example.invalid/cuda:1",
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{gpu: resource.MustParse("1")}},
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := waitFor(ctx, t, pods.Watch, "gpu", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && podReady(p)
	})
	if pod.Spec.NodeName != "kwok-gpu-0" {
		t.Errorf("GPU pod on node %q, want kwok-gpu-0", pod.Spec.NodeName)
	}
}

func testRBAC(ctx context.Context, t *testing.T, env *kubeenv.Env) {
	unprivileged := clientFor(t, env, env.UnprivilegedToken)
	_, err := unprivileged.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("unprivileged list pods: error %v, want Forbidden", err)
	}

	token, ok := env.Tokens["spawnhub"]
	if !ok || token == "" {
		t.Fatalf("env.Tokens = %v, want a token for spawnhub", env.Tokens)
	}
	extra := clientFor(t, env, token)
	if _, err := extra.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("extra user before binding: error %v, want Forbidden", err)
	}
	_, err = env.Admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "spawnhub-test-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "spawnhub-test"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The authorizer sees the binding through an informer: allow it to catch up.
	deadline := time.Now().Add(waitTimeout)
	for {
		_, err := extra.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			t.Fatalf("extra user after binding to view: %v, want allowed", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := unprivileged.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("unprivileged list pods after the group binding: error %v, want Forbidden", err)
	}
}

func testKubectl(t *testing.T, env *kubeenv.Env) {
	out, err := env.Kubectl("get", "nodes", "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "node/"+kubeenv.NodeName) {
		t.Errorf("kubectl get nodes = %q, want node/%s", out, kubeenv.NodeName)
	}
	out, err = env.Kubectl("version")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Server Version: v" + kubeenv.KubernetesVersion; !strings.Contains(out, want) {
		t.Errorf("kubectl version = %q, want it to contain %q", out, want)
	}
	out, err = env.Kubectl("auth", "can-i", "create", "pods", "--as="+kubeenv.UnprivilegedUser)
	if err == nil || strings.TrimSpace(out) != "no" {
		t.Errorf("kubectl auth can-i as %s = %q, %v; want no and an error", kubeenv.UnprivilegedUser, out, err)
	}
	if _, err := env.Kubectl("get", "no-such-kind"); err == nil {
		t.Errorf("kubectl get no-such-kind succeeded, want an error")
	}
}

func clientFor(t *testing.T, env *kubeenv.Env, token string) kubernetes.Interface {
	c, err := kubernetes.NewForConfig(env.ConfigFor(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type watchFunc func(context.Context, metav1.ListOptions) (watch.Interface, error)

// waitFor watches the object called name until done accepts it. Watching
// also proves that etcd delivers plain watches (etcd 3.4 did not).
func waitFor[T any](ctx context.Context, t *testing.T, w watchFunc, name string, done func(*T) bool) *T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	wi, err := w(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err != nil {
		t.Fatalf("watch %s: %v", name, err)
	}
	defer wi.Stop()
	var last *T
	for {
		select {
		case ev, ok := <-wi.ResultChan():
			if !ok {
				t.Fatalf("watch %s closed; last state %+v", name, last)
			}
			obj, isT := any(ev.Object).(*T)
			if !isT {
				t.Fatalf("watch %s: %s event with %T", name, ev.Type, ev.Object)
			}
			last = obj
			if done(obj) {
				return obj
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; last state %+v", name, ctx.Err(), last)
		}
	}
}

// waitGone waits until the object called name is deleted, watching from
// the version get returns so that the deletion cannot slip by.
func waitGone(ctx context.Context, t *testing.T, get func(context.Context) (string, error), w watchFunc, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	rv, err := get(ctx)
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	wi, err := w(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: rv,
	})
	if err != nil {
		t.Fatalf("watch %s: %v", name, err)
	}
	defer wi.Stop()
	for {
		select {
		case ev, ok := <-wi.ResultChan():
			if !ok {
				t.Fatalf("watch %s closed before deletion", name)
			}
			if ev.Type == watch.Deleted {
				return
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %s to go: %v", name, ctx.Err())
		}
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestAPIServerOnly runs etcd and the API server alone: no nodes, and
// AddNode refuses without kwok.
func TestAPIServerOnly(t *testing.T) {
	env := kubeenv.Start(t, kubeenv.Options{NoControllerManager: true, NoScheduler: true, NoKwok: true})
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	nodes, err := env.Admin.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 0 {
		t.Errorf("%d nodes without kwok, want none", len(nodes.Items))
	}
	if env.PodCIDR != "" {
		t.Errorf("PodCIDR %q without kwok, want empty", env.PodCIDR)
	}
	if _, err := env.AddNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}); err == nil {
		t.Errorf("AddNode without kwok succeeded, want an error")
	}
	if _, err := env.Admin.StorageV1().StorageClasses().Get(ctx, kubeenv.StorageClassName, metav1.GetOptions{}); err != nil {
		t.Errorf("storage class: %v", err)
	}
	if err := env.CreateNamespace(ctx, "plain", nil); err != nil {
		t.Errorf("CreateNamespace without controller-manager: %v", err)
	}
}
