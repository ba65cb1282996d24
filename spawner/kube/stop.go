package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/spawnhub/spawnhub/store"
)

// everything selects every pod of the cache (which holds managed pods only).
var everything = labels.Everything()

// Stop implements spawner.Backend: it deletes the server's pod, whatever
// its instance (an interrupted start leaves none in the record), waits
// until the pod is gone, and deletes the token Secret. Claims stay.
func (b *Backend) Stop(ctx context.Context, srv store.Server) error {
	return b.stop(ctx, srv, nil)
}

// stop deletes the pod with a grace period (nil: the pod's own) and waits.
func (b *Backend) stop(ctx context.Context, srv store.Server, grace *int64) error {
	if err := b.ready(ctx); err != nil {
		return err
	}
	key := srv.Key()
	w := b.watch(key)
	defer b.unwatch(key, w)
	err := b.client.CoreV1().Pods(srv.Namespace).Delete(ctx, srv.Name, metav1.DeleteOptions{GracePeriodSeconds: grace})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s: %w", key, err)
	}
	if err := b.waitGone(ctx, key, w); err != nil {
		return fmt.Errorf("pod %s still there: %w", key, err)
	}
	return b.deleteSecret(ctx, srv)
}

func (b *Backend) deleteSecret(ctx context.Context, srv store.Server) error {
	err := b.client.CoreV1().Secrets(srv.Namespace).Delete(ctx, TokenSecretName(srv.Name), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete token secret of %s: %w", srv.Key(), err)
	}
	return nil
}

// Alive implements spawner.Backend: the pod with UID srv.Instance exists,
// is not being deleted and has not ended. A pod missing from the cache is
// looked up in the API server before it is declared gone, so a cache that
// lags behind another replica's start never fails a healthy server.
func (b *Backend) Alive(ctx context.Context, srv store.Server) (bool, error) {
	if srv.Instance == "" {
		return false, nil
	}
	if err := b.ready(ctx); err != nil {
		return false, err
	}
	pod, err := b.podList.Pods(srv.Namespace).Get(srv.Name)
	if err != nil || string(pod.UID) != srv.Instance {
		pod, err = b.client.CoreV1().Pods(srv.Namespace).Get(ctx, srv.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("get pod %s: %w", srv.Key(), err)
		}
	}
	return string(pod.UID) == srv.Instance && running(pod), nil
}

func running(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp == nil && pod.Status.Phase != corev1.PodFailed && pod.Status.Phase != corev1.PodSucceeded
}

// DeleteVolumes implements spawner.VolumeDeleter: it deletes the claims
// created for the server (labelled with it) and its token Secret. Volumes
// the server only mounted belong to the namespace and stay.
func (b *Backend) DeleteVolumes(ctx context.Context, srv store.Server) error {
	sel := labels.SelectorFromSet(labels.Set(serverLabels(srv.Name))).String()
	claims := b.client.CoreV1().PersistentVolumeClaims(srv.Namespace)
	list, err := claims.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("list volumes of %s: %w", srv.Key(), err)
	}
	for _, c := range list.Items {
		if err := claims.Delete(ctx, c.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete volume %s of %s: %w", c.Name, srv.Key(), err)
		}
	}
	return b.deleteSecret(ctx, srv)
}
