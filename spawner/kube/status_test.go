package kube

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodState(t *testing.T) {
	waiting := func(reason string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "server",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "details"}}}}}
	}
	unschedulable := func(msg string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
			Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: msg}}}
	}
	ready := corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.1.0.1",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	for _, tt := range []struct {
		name      string
		status    corev1.PodStatus
		deleting  bool
		wantReady bool
		wantErr   string
	}{
		{"running and ready", ready, false, true, ""},
		{"running, not ready", corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.1.0.1"}, false, false, ""},
		{"ready without an address", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: ready.Conditions}, false, false, ""},
		{"pulling", waiting("ContainerCreating"), false, false, ""},
		{"image pull error", waiting("ErrImagePull"), false, false, "ErrImagePull"},
		{"image pull back-off", waiting("ImagePullBackOff"), false, false, "ImagePullBackOff"},
		{"crash loop", waiting("CrashLoopBackOff"), false, false, "CrashLoopBackOff"},
		{"no node fits", unschedulable("0/3 nodes are available: 3 Insufficient nvidia.com/gpu."), false, false, "Unschedulable"},
		{"claims binding", unschedulable("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"), false, false, ""},
		{"claim bound, volume not cached yet", unschedulable(`0/2 nodes are available: persistentvolume "pvc-3d559392" not found. not found`), false, false, ""},
		{"claim bound to a volume not cached yet", unschedulable(`0/2 nodes are available: persistentvolumeclaim "demo-workspace" bound to non-existent persistentvolume "". not found`), false, false, ""},
		{"ended", corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{Name: "server",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}}}}, false, false, "OOMKilled"},
		{"being deleted", ready, true, false, "being deleted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "lab"}, Status: tt.status}
			if tt.deleting {
				now := metav1.Now()
				pod.DeletionTimestamp = &now
			}
			got, err := podState(pod)
			if got != tt.wantReady {
				t.Errorf("ready = %v, want %v", got, tt.wantReady)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero", Config{}, ""},
		{"pull policy", Config{PullPolicy: "Sometimes"}, "pullPolicy"},
		{"port", Config{Ports: map[string]int{"desktop": 70000}}, "ports.desktop"},
		{"label key", Config{NamespaceLabels: map[string]string{"bad key": "x"}}, "namespaceLabels"},
		{"toleration operator", Config{GPU: GPUConfig{Tolerations: []Toleration{{Key: "k", Operator: "Maybe"}}}}, "gpu.tolerations[0].operator"},
		{"taint effect", Config{Tolerations: []Toleration{{Key: "k", Effect: "Never"}}}, "tolerations[0].effect"},
		{"negative user", Config{RunAsUser: -1}, "runAsUser"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.wantErr)
			}
		})
	}
}
