package kubeenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// loopback is where every pod address must lie: tests never send traffic
// anywhere else.
var loopback = &net.IPNet{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)}

// startKwok runs kwok for nodes annotated kwok.x-k8s.io/node=fake, with pod
// IPs from cidr (a random /24 of 127.1.0.0/16 when empty), and adds the
// node NodeName.
func (e *Env) startKwok(ctx context.Context, cidr string) error {
	cidr, err := podCIDR(cidr)
	if err != nil {
		return err
	}
	e.PodCIDR = cidr
	dir, err := e.path("kwok")
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	p, err := e.run(dir, "kwok",
		"--config="+filepath.Join(e.BinDir, "stages.yaml"),
		"--kubeconfig="+e.Kubeconfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+NodeAnnotation+"=fake",
		"--cidr="+cidr,
		"--node-ip=127.0.0.1",
		"--node-lease-duration-seconds=40",
		"--server-address=127.0.0.1:"+port,
	)
	if err != nil {
		return err
	}
	e.kwok = p
	_, err = e.AddNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName}})
	return err
}

// podCIDR checks that cidr lies inside 127.0.0.0/8, picking a random /24
// of 127.1.0.0/16 when it is empty.
func podCIDR(cidr string) (string, error) {
	if cidr == "" {
		return fmt.Sprintf("127.1.%d.0/24", rand.IntN(256)), nil
	}
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return "", fmt.Errorf("pod CIDR: %w", err)
	}
	if ones, bits := n.Mask.Size(); bits != 32 || ones < 8 || !loopback.Contains(n.IP) {
		return "", fmt.Errorf("pod CIDR %s is not inside %s", cidr, loopback)
	}
	return n.String(), nil
}

// AddNode creates a node that kwok manages and waits until it is Ready.
// It sets the kwok annotation and the usual node labels; capacity left
// empty becomes 32 CPUs, 256Gi memory and 110 pods (set
// Status.Capacity["nvidia.com/gpu"] for a fake GPU node). Taints and labels
// are kept, so a test can build a tainted GPU pool. It fails without kwok.
func (e *Env) AddNode(ctx context.Context, n *corev1.Node) (*corev1.Node, error) {
	if e.kwok == nil {
		return nil, fmt.Errorf("add node %s: kwok is not running", n.Name)
	}
	n = n.DeepCopy()
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	n.Annotations[NodeAnnotation] = "fake"
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	for k, v := range map[string]string{
		"kubernetes.io/hostname": n.Name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok",
	} {
		if _, ok := n.Labels[k]; !ok {
			n.Labels[k] = v
		}
	}
	if n.Status.Capacity == nil {
		n.Status.Capacity = corev1.ResourceList{}
	}
	for k, v := range map[corev1.ResourceName]string{"cpu": "32", "memory": "256Gi", "pods": "110"} {
		if _, ok := n.Status.Capacity[k]; !ok {
			n.Status.Capacity[k] = resource.MustParse(v)
		}
	}
	if n.Status.Allocatable == nil {
		n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	}
	if _, err := e.Admin.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create node %s: %w", n.Name, err)
	}
	var ready *corev1.Node
	err := poll(ctx, "node "+n.Name+" Ready", e.kwok, func(ctx context.Context) (bool, error) {
		got, err := e.Admin.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if !nodeReady(got) {
			return false, fmt.Errorf("node %s not Ready", n.Name)
		}
		// The API server taints a new node not-ready until the node
		// lifecycle controller sees it Ready: the scheduler would call a
		// pod Unschedulable on it until then.
		if taints := addedTaints(got, n); len(taints) > 0 {
			return false, fmt.Errorf("node %s still tainted %v", n.Name, taints)
		}
		ready = got
		return true, nil
	})
	return ready, err
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// addedTaints lists the taints on got that the requested node did not ask for.
func addedTaints(got, requested *corev1.Node) []string {
	var added []string
	for _, t := range got.Spec.Taints {
		if !slices.ContainsFunc(requested.Spec.Taints, func(r corev1.Taint) bool { return r.MatchTaint(&t) }) {
			added = append(added, t.ToString())
		}
	}
	return added
}

// createStorageClass creates kwok's default StorageClass "kwok-volume".
func (e *Env) createStorageClass(ctx context.Context) error {
	b, err := os.ReadFile(filepath.Join(e.BinDir, "storage-class.yaml"))
	if err != nil {
		return err
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(b, nil, nil)
	if err != nil {
		return fmt.Errorf("decode storage-class.yaml: %w", err)
	}
	sc, ok := obj.(*storagev1.StorageClass)
	if !ok {
		return fmt.Errorf("storage-class.yaml holds a %T, want a StorageClass", obj)
	}
	_, err = e.Admin.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create storage class: %w", err)
	}
	return nil
}
