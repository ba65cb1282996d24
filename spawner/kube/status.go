package kube

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spawnhub/spawnhub/spawner"
)

// failFast are container waiting reasons that will not resolve by waiting.
var failFast = []string{
	"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
	"CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
}

// podState reports whether the pod is Running and Ready with an address,
// or why it will not get there.
func podState(pod *corev1.Pod) (ready bool, err error) {
	if pod.DeletionTimestamp != nil {
		return false, fmt.Errorf("pod %s is being deleted", pod.Name)
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return false, fmt.Errorf("pod %s ended: %s", pod.Name, endReason(pod))
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && slices.Contains(failFast, w.Reason) {
			return false, waitingFailure(pod, cs, w)
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable &&
			!waitingForVolumes(c.Message) {
			text := fmt.Sprintf("no node can run pod %s (Unschedulable): %s", pod.Name, c.Message)
			return false, spawner.Fail(spawner.Say("start.unschedulable", text, "detail", c.Message), nil)
		}
	}
	return pod.Status.Phase == corev1.PodRunning && podReady(pod) && pod.Status.PodIP != "", nil
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// endReason says why a pod ended: its containers' terminations.
func endReason(pod *corev1.Pod) string {
	var parts []string
	for _, cs := range pod.Status.ContainerStatuses {
		t := cs.State.Terminated
		if t == nil {
			t = cs.LastTerminationState.Terminated
		}
		if t == nil {
			continue
		}
		s := fmt.Sprintf("container %s exited with code %d", cs.Name, t.ExitCode)
		if t.Reason != "" {
			s += " (" + t.Reason + ")"
		}
		if t.Message != "" {
			s += ": " + t.Message
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return describe(pod)
	}
	return strings.Join(parts, "; ")
}

// describe is a one-line status of a pod, for messages.
func describe(pod *corev1.Pod) string {
	if pod == nil {
		return "not seen yet"
	}
	s := "phase " + string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		s += ", " + pod.Status.Reason
	}
	if pod.Status.Message != "" {
		s += ": " + pod.Status.Message
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			s += ", container " + cs.Name + " " + w.Reason
		}
	}
	return s
}

// waitingForVolumes tells a transient Unschedulable: the scheduler retries
// once the pod's new claims are bound and their volumes are in its cache
// ("persistentvolumeclaim … not found", "persistentvolume \"pvc-…\" not
// found", "bound to non-existent persistentvolume").
func waitingForVolumes(msg string) bool {
	return strings.Contains(msg, "unbound immediate PersistentVolumeClaims") || strings.Contains(msg, "persistentvolume") && strings.Contains(msg, "not found")
}
