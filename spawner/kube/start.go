package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// cleanupTimeout bounds the removal of what a failed start created.
const cleanupTimeout = 30 * time.Second

// objects are what one start creates.
type objects struct {
	secret *corev1.Secret
	claims []*corev1.PersistentVolumeClaim
	pod    *corev1.Pod
}

// Start implements spawner.Backend: it creates the server's objects (a
// server-side dry run first) and waits on the pod informer until the pod
// is Running and Ready. It fails fast when Kubernetes reports that the pod
// cannot run. On error the pod and its Secret are deleted; claims stay.
func (b *Backend) Start(ctx context.Context, srv store.Server, im form.Image, token string, progress func(store.Event)) (store.Route, string, error) {
	if err := b.ready(ctx); err != nil {
		return store.Route{}, "", err
	}
	if err := b.o.checkGPUVendor(srv.Spec); err != nil {
		return store.Route{}, "", err
	}
	if err := b.ensureNamespace(ctx, srv.Namespace, progress); err != nil {
		return store.Route{}, "", err
	}
	if err := b.removeLeftovers(ctx, srv); err != nil {
		return store.Route{}, "", err
	}
	claims, err := b.claimsToCreate(ctx, srv)
	if err != nil {
		return store.Route{}, "", err
	}
	objs := objects{secret: tokenSecret(srv, token), claims: claims, pod: b.o.pod(srv, im)}
	if err := b.create(ctx, objs, true); err != nil {
		return store.Route{}, "", err
	}
	w := b.watch(srv.Key())
	defer b.unwatch(srv.Key(), w)
	uid, err := b.createReal(ctx, objs, progress)
	if err != nil {
		b.cleanup(ctx, srv)
		return store.Route{}, "", err
	}
	pod, err := b.waitRunning(ctx, srv.Key(), uid, w)
	if err != nil {
		b.cleanup(ctx, srv)
		return store.Route{}, "", err
	}
	progress(store.Event{Type: store.EventNormal, Reason: "PodReady", Message: fmt.Sprintf("pod %s is running and ready on %s", pod.Name, pod.Spec.NodeName)})
	port := strconv.Itoa(b.o.port(im))
	return store.Route{
		Target:      "http://" + net.JoinHostPort(pod.Status.PodIP, port),
		Token:       token,
		StripPrefix: srv.Spec.StripPrefix,
		Namespace:   srv.Namespace,
	}, string(uid), nil
}

// ensureNamespace checks that the namespace exists, creating it when
// configured to.
func (b *Backend) ensureNamespace(ctx context.Context, ns string, progress func(store.Event)) error {
	_, err := b.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err == nil {
		return b.ensureNetworkPolicy(ctx, ns)
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get namespace %s: %w", ns, err)
	}
	if !b.o.CreateNamespaces {
		return fmt.Errorf("namespace %s does not exist in Kubernetes (and spawner.kubernetes.createNamespaces is off)", ns)
	}
	l := map[string]string{LabelManagedBy: ManagedBy}
	for k, v := range b.o.NamespaceLabels {
		l[k] = v
	}
	_, err = b.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	progress(store.Event{Type: store.EventNormal, Reason: "NamespaceCreated", Message: "created namespace " + ns})
	return b.ensureNetworkPolicy(ctx, ns)
}

// removeLeftovers deletes a pod and Secret of an earlier, interrupted
// start, waiting until the pod is gone.
func (b *Backend) removeLeftovers(ctx context.Context, srv store.Server) error {
	if _, err := b.podList.Pods(srv.Namespace).Get(srv.Name); err == nil {
		b.log.Info("deleting a pod left by an earlier start", "server", srv.Key().String())
		if err := b.Stop(ctx, srv); err != nil {
			return err
		}
	}
	return b.deleteSecret(ctx, srv)
}

// create creates the objects, for real or as a server-side dry run.
func (b *Backend) create(ctx context.Context, o objects, dryRun bool) error {
	opts := metav1.CreateOptions{FieldManager: ManagedBy}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ns := o.pod.Namespace
	if _, err := b.client.CoreV1().Secrets(ns).Create(ctx, o.secret, opts); err != nil {
		return createError("secret", ns, o.secret.Name, err)
	}
	for _, c := range o.claims {
		if _, err := b.client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, c, opts); err != nil {
			return createError("volume claim", ns, c.Name, err)
		}
	}
	if dryRun {
		_, err := b.createPod(ctx, o.pod, opts)
		return err
	}
	return nil
}

// createReal creates the objects and returns the pod's UID.
func (b *Backend) createReal(ctx context.Context, o objects, progress func(store.Event)) (types.UID, error) {
	if err := b.create(ctx, o, false); err != nil {
		return "", err
	}
	for _, c := range o.claims {
		progress(store.Event{Type: store.EventNormal, Reason: "VolumeCreated", Message: fmt.Sprintf("created volume %s (%s)", c.Name, c.Spec.Resources.Requests.Storage())})
	}
	pod, err := b.createPod(ctx, o.pod, metav1.CreateOptions{FieldManager: ManagedBy})
	if err != nil {
		return "", err
	}
	progress(store.Event{Type: store.EventNormal, Reason: "PodCreated", Message: fmt.Sprintf("created pod %s with image %s", pod.Name, pod.Spec.Containers[0].Image)})
	b.log.Info("pod created", "server", pod.Namespace+"/"+pod.Name, "uid", pod.UID)
	return pod.UID, nil
}

// createPod retries while a new namespace has no service account yet.
func (b *Backend) createPod(ctx context.Context, pod *corev1.Pod, opts metav1.CreateOptions) (*corev1.Pod, error) {
	for {
		got, err := b.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, opts)
		if err == nil || !strings.Contains(err.Error(), "error looking up service account") {
			if err != nil {
				return nil, createError("pod", pod.Namespace, pod.Name, err)
			}
			return got, nil
		}
		select {
		case <-ctx.Done():
			return nil, createError("pod", pod.Namespace, pod.Name, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// createError explains refusals a user can act on.
func createError(kind, ns, name string, err error) error {
	switch {
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "exceeded quota"):
		return fmt.Errorf("the quota of namespace %s does not allow this server: %w", ns, err)
	case apierrors.IsAlreadyExists(err):
		return fmt.Errorf("create %s %s/%s: %w: %w", kind, ns, name, store.ErrConflict, err)
	case apierrors.IsInvalid(err):
		return fmt.Errorf("create %s %s/%s: %w: %w", kind, ns, name, form.ErrInvalidSpec, err)
	}
	return fmt.Errorf("create %s %s/%s: %w", kind, ns, name, err)
}

// waitRunning waits on the informer until the pod uid is Running and
// Ready, fails, or ctx ends.
func (b *Backend) waitRunning(ctx context.Context, key store.Key, uid types.UID, w <-chan struct{}) (*corev1.Pod, error) {
	var last *corev1.Pod
	for {
		pod, err := b.podList.Pods(key.Namespace).Get(key.Name)
		switch {
		case err == nil && pod.UID == uid:
			last = pod
			ready, err := podState(pod)
			if err != nil || ready {
				return pod, err
			}
		case last != nil: // seen, then gone or replaced
			return nil, errors.New("the pod was deleted while starting")
		}
		select {
		case <-w:
		case <-ctx.Done():
			return nil, fmt.Errorf("pod %s not ready (%s): %w", key, describe(last), ctx.Err())
		}
	}
}

// cleanup deletes what a failed start created, even when ctx has ended.
// The pod goes at once (no grace period): its server never answered, and
// a node that cannot pull the image may never confirm a graceful delete.
func (b *Backend) cleanup(ctx context.Context, srv store.Server) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := b.stop(ctx, srv, ptr.To[int64](0)); err != nil {
		b.log.Warn("cleanup after a failed start", "server", srv.Key().String(), "err", err)
	}
}
