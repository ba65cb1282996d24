package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// ErrVolumeInUse means a ReadWriteOnce volume is mounted by another server.
var ErrVolumeInUse = errors.New("kube: volume in use")

// claimsToCreate applies the attach rules and returns the claims to create
// (the manager normally created them with the server):
//   - a new volume is created when missing, else reused (a restart);
//   - an existing volume must exist;
//   - no volume may be mounted by another server's pod, unless it is
//     ReadWriteMany or ReadOnlyMany.
func (b *Backend) claimsToCreate(ctx context.Context, srv store.Server) ([]*corev1.PersistentVolumeClaim, error) {
	var create []*corev1.PersistentVolumeClaim
	for _, v := range volumesOf(srv.Spec) {
		got, err := b.client.CoreV1().PersistentVolumeClaims(srv.Namespace).Get(ctx, v.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err) && v.New:
			create = append(create, b.o.claim(srv, v))
			continue
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("volume %s does not exist in namespace %s: %w", v.Name, srv.Namespace, form.ErrInvalidSpec)
		case err != nil:
			return nil, fmt.Errorf("get volume %s/%s: %w", srv.Namespace, v.Name, err)
		}
		if err := b.notInUse(srv, got); err != nil {
			return nil, err
		}
	}
	return create, nil
}

func volumesOf(spec store.Spec) []store.Volume {
	var out []store.Volume
	if spec.Workspace != nil {
		out = append(out, *spec.Workspace)
	}
	for _, dv := range spec.DataVolumes {
		out = append(out, dv.Volume)
	}
	return out
}

func (b *Backend) notInUse(srv store.Server, c *corev1.PersistentVolumeClaim) error {
	if slices.ContainsFunc(c.Spec.AccessModes, func(m corev1.PersistentVolumeAccessMode) bool {
		return m == corev1.ReadWriteMany || m == corev1.ReadOnlyMany
	}) {
		return nil
	}
	pods, err := b.podList.Pods(srv.Namespace).List(everything)
	if err != nil {
		return fmt.Errorf("list pods of %s: %w", srv.Namespace, err)
	}
	for _, p := range pods {
		if p.Name != srv.Name && running(p) && mountsClaim(p, c.Name) {
			return fmt.Errorf("volume %s is mounted by server %s: %w", c.Name, p.Labels[LabelServer], ErrVolumeInUse)
		}
	}
	return nil
}

// ListVolumes implements spawner.VolumeStore: every claim of the
// namespace (Kubeflow's volumes included), sorted by name.
func (b *Backend) ListVolumes(ctx context.Context, ns string) ([]spawner.Volume, error) {
	list, err := b.client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes of %s: %w", ns, err)
	}
	out := make([]spawner.Volume, 0, len(list.Items))
	for _, c := range list.Items {
		if c.DeletionTimestamp == nil { // a claim being deleted is gone to users
			out = append(out, volumeOf(&c))
		}
	}
	slices.SortFunc(out, func(a, b spawner.Volume) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func volumeOf(c *corev1.PersistentVolumeClaim) spawner.Volume {
	v := spawner.Volume{Name: c.Name, CreatedAt: c.CreationTimestamp.Time}
	if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		v.Size = q.String()
	}
	return v
}

// CreateVolume implements spawner.VolumeStore: a ReadWriteOnce claim
// labelled as spawnhub's, in a namespace created when configured to;
// store.ErrConflict if the name is taken.
func (b *Backend) CreateVolume(ctx context.Context, ns string, v spawner.Volume) (spawner.Volume, error) {
	size, err := resource.ParseQuantity(v.Size)
	if err != nil {
		return spawner.Volume{}, fmt.Errorf("volume %s: size %q: %w", v.Name, v.Size, form.ErrInvalidSpec)
	}
	if err := b.ensureNamespace(ctx, ns, func(store.Event) {}); err != nil {
		return spawner.Volume{}, err
	}
	c := b.o.claim(store.Server{Namespace: ns}, store.Volume{Name: v.Name, Size: size.String()})
	c.Labels = map[string]string{LabelManagedBy: ManagedBy}
	got, err := b.client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, c, metav1.CreateOptions{FieldManager: ManagedBy})
	if apierrors.IsAlreadyExists(err) {
		return spawner.Volume{}, fmt.Errorf("create volume %s/%s: %w", ns, v.Name, store.ErrConflict)
	}
	if err != nil {
		return spawner.Volume{}, createError("volume claim", ns, v.Name, err)
	}
	return volumeOf(got), nil
}

// DeleteVolume implements spawner.VolumeStore; store.ErrNotFound if there
// is no such claim, or it is already being deleted (a mounted claim waits
// for its pod to go, kept by the pvc-protection finalizer).
func (b *Backend) DeleteVolume(ctx context.Context, ns, name string) error {
	claims := b.client.CoreV1().PersistentVolumeClaims(ns)
	got, err := claims.Get(ctx, name, metav1.GetOptions{})
	if err == nil && got.DeletionTimestamp != nil {
		err = apierrors.NewNotFound(corev1.Resource("persistentvolumeclaims"), name) // already going
	}
	if err == nil {
		uid := got.UID
		err = claims.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	}
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("delete volume %s/%s: %w", ns, name, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete volume %s/%s: %w", ns, name, err)
	}
	return nil
}
