package kube

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/store"
)

// Sweep deletes orphan pods: managed pods whose server has no record, is
// Stopped or Failed, or runs another instance. Queued, Starting and
// Stopping servers are the manager's to repair. Deletes carry the pod's
// UID as a precondition, so a pod started after the record was read is
// never touched. Without Options.Records Sweep does nothing.
func (b *Backend) Sweep(ctx context.Context) error {
	if b.o.Records == nil {
		return nil
	}
	if err := b.ready(ctx); err != nil {
		return err
	}
	pods, err := b.podList.List(everything)
	if err != nil {
		return fmt.Errorf("sweep: list pods: %w", err)
	}
	var errs []error
	for _, pod := range pods {
		if err := b.sweepOne(ctx, pod); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (b *Backend) sweepOne(ctx context.Context, pod *corev1.Pod) error {
	key, ok := keyOf(pod)
	if !ok || pod.DeletionTimestamp != nil {
		return nil
	}
	srv, err := b.o.Records.GetServer(ctx, key.Namespace, key.Name)
	why := ""
	switch {
	case errors.Is(err, store.ErrNotFound):
		why = "no record"
	case err != nil:
		return fmt.Errorf("sweep %s: %w", key, err)
	case srv.Phase == store.PhaseStopped || srv.Phase == store.PhaseFailed:
		why = "the server is " + string(srv.Phase)
	case srv.Phase == store.PhaseRunning && srv.Instance != string(pod.UID):
		why = "the server runs another instance"
	default:
		return nil
	}
	b.log.Info("deleting orphan pod", "server", key.String(), "uid", pod.UID, "why", why)
	uid := pod.UID
	err = b.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("sweep %s: delete pod: %w", key, err)
	}
	return nil
}
