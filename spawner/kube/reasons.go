package kube

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/spawnhub/spawnhub/spawner"
)

// pullReasons are the waiting reasons of an image that cannot be pulled.
var pullReasons = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true, "ErrImageNeverPull": true,
}

// waitingFailure says in words why a container will not start: its image
// cannot be pulled, it crashes again and again, or something else
// Kubernetes says.
func waitingFailure(pod *corev1.Pod, cs corev1.ContainerStatus, w *corev1.ContainerStateWaiting) error {
	text := fmt.Sprintf("container %s cannot start (%s): %s", cs.Name, w.Reason, w.Message)
	switch {
	case pullReasons[w.Reason]:
		return spawner.Fail(spawner.Say("start.image_pull", text, "image", cs.Image), nil)
	case w.Reason == "CrashLoopBackOff":
		line := ""
		if t := cs.LastTerminationState.Terminated; t != nil {
			line = t.Message
		}
		return spawner.Fail(spawner.Say("start.crash", text, "line", line), nil)
	}
	return spawner.Fail(spawner.Say("start.error", text, "detail", w.Reason+": "+w.Message), nil)
}

// podEnd is what a pod that ended by itself tells the manager: nil when
// it succeeded (the server's own user shut it down), else why it failed.
func podEnd(pod *corev1.Pod) error {
	if pod.Status.Phase == corev1.PodSucceeded {
		return nil
	}
	status := ""
	line := ""
	for _, cs := range pod.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil {
			status, line = strconv.Itoa(int(t.ExitCode)), t.Message
			if line == "" {
				line = t.Reason
			}
			break
		}
	}
	return spawner.Fail(spawner.Say("exited", "the pod ended: "+endReason(pod), "status", status, "line", line), nil)
}
