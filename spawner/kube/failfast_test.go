package kube_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// noKubeletNode is a Ready node that kwok does not manage: pods scheduled
// there stay Pending, and the test writes their status as a kubelet
// would (kwok cannot fail an image pull).
const noKubeletNode = "no-kubelet"

func testFailFast(t *testing.T, env *kubeenv.Env) {
	ctx := ctxFor(t)
	addNoKubeletNode(ctx, t, env)

	t.Run("unschedulable", func(t *testing.T) {
		b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true, NodeSelector: map[string]string{"pool": "none"}}, nil)
		srv := server("ff", "nowhere", jupyterSpec("nowhere"))
		_, _, err := b.Start(ctx, srv, imageOf(srv), "t", func(store.Event) {})
		if err == nil || !strings.Contains(err.Error(), "Unschedulable") {
			t.Errorf("Start: %v, want an Unschedulable error", err)
		}
		if !podGone(t, env, "ff", "nowhere") {
			t.Errorf("pod left after a failed start")
		}
	})

	t.Run("quota", func(t *testing.T) {
		if err := env.CreateNamespace(ctx, "quota", nil); err != nil {
			t.Fatal(err)
		}
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "small"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.cpu": resource.MustParse("100m")}}}
		if _, err := env.Admin.CoreV1().ResourceQuotas("quota").Create(ctx, q, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b := startBackend(t, env.AdminConfig, kube.Config{}, nil)
		eventually(t, "quota status computed", func() bool {
			got, err := env.Admin.CoreV1().ResourceQuotas("quota").Get(ctx, "small", metav1.GetOptions{})
			return err == nil && got.Status.Hard != nil
		})
		srv := server("quota", "big", jupyterSpec("big"))
		_, _, err := b.Start(ctx, srv, imageOf(srv), "t", func(store.Event) {})
		if err == nil || !strings.Contains(err.Error(), "quota") {
			t.Errorf("Start: %v, want a quota error", err)
		}
		// The dry run refused it: nothing was created.
		if _, err := env.Admin.CoreV1().PersistentVolumeClaims("quota").Get(ctx, "big-workspace", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("claim after a refused start: %v, want none", err)
		}
		if _, err := env.Admin.CoreV1().Secrets("quota").Get(ctx, kube.TokenSecretName("big"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("secret after a refused start: %v, want none", err)
		}
	})

	for _, reason := range []string{"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"} {
		t.Run(reason, func(t *testing.T) { testWaitingReason(ctx, t, env, reason) })
	}
}

func addNoKubeletNode(ctx context.Context, t *testing.T, env *kubeenv.Env) {
	t.Helper()
	capacity := corev1.ResourceList{"cpu": resource.MustParse("8"), "memory": resource.MustParse("32Gi"), "pods": resource.MustParse("110")}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: noKubeletNode, Labels: map[string]string{"kubernetes.io/hostname": noKubeletNode}},
		Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: "test/no-kubelet", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity, Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "Test", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}}},
	}
	if _, err := env.Admin.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// testWaitingReason starts a server on the node without kubelet, writes
// the container status a kubelet would write for reason, and expects
// Start to fail with it at once.
func testWaitingReason(ctx context.Context, t *testing.T, env *kubeenv.Env, reason string) {
	b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true,
		NodeSelector: map[string]string{"kubernetes.io/hostname": noKubeletNode},
		Tolerations:  []kube.Toleration{{Key: "test/no-kubelet", Operator: "Exists"}}}, nil)
	name := strings.ToLower(reason)
	errc := make(chan error, 1)
	go func() { // ends when Start returns
		srv := server("ff", name, jupyterSpec(name))
		_, _, err := b.Start(ctx, srv, imageOf(srv), "t", func(store.Event) {})
		errc <- err
	}()
	pods := env.Admin.CoreV1().Pods("ff")
	var pod *corev1.Pod
	eventually(t, "pod scheduled", func() bool {
		p, err := pods.Get(ctx, name, metav1.GetOptions{})
		pod = p
		return err == nil && p.Spec.NodeName == noKubeletNode
	})
	pod.Status.Phase = corev1.PodPending
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "server", Image: pod.Spec.Containers[0].Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "simulated " + reason}}}}
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), reason) || !strings.Contains(err.Error(), "simulated") {
			t.Errorf("Start: %v, want an error with %s and its message", err, reason)
		}
	case <-ctx.Done():
		t.Fatalf("Start did not fail fast on %s", reason)
	}
	if !podGone(t, env, "ff", name) {
		t.Errorf("pod left after a failed start")
	}
}
