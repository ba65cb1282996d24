package kube

import (
	"errors"
	"fmt"
	"github.com/spawnhub/spawnhub/spawner/form"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Config is the backend's part of the configuration file
// (spawner.kubernetes.*). Zero fields take the defaults.
type Config struct {
	// Kubeconfig is a kubeconfig file; empty means the in-cluster
	// configuration (the pod's service account).
	Kubeconfig string `yaml:"kubeconfig"`
	// ServiceAccount runs the pods ("default" when empty; Kubeflow
	// profiles have "default-editor").
	ServiceAccount string `yaml:"serviceAccount"`
	// AutomountServiceAccountToken mounts the account's token in pods.
	AutomountServiceAccountToken bool `yaml:"automountServiceAccountToken"`
	// PullPolicy is used for images that set none: Always, IfNotPresent
	// (default) or Never.
	PullPolicy string `yaml:"pullPolicy"`
	// ImagePullSecrets are Secrets of the namespace for private registries.
	ImagePullSecrets []string `yaml:"imagePullSecrets"`
	// StorageClass of new claims; empty uses the cluster's default.
	StorageClass string `yaml:"storageClass"`
	// CreateNamespaces creates a missing namespace with NamespaceLabels;
	// otherwise namespaces must exist (e.g. Kubeflow profiles).
	CreateNamespaces bool              `yaml:"createNamespaces"`
	NamespaceLabels  map[string]string `yaml:"namespaceLabels"`
	// AllowFrom, when its namespace is set, makes the backend create a
	// NetworkPolicy "spawnhub-workspaces" in every namespace it runs
	// servers in, so that workspace pods accept traffic only from
	// spawnhub's pods.
	AllowFrom AllowFrom `yaml:"allowFrom"`
	// NodeSelector and Tolerations apply to every pod.
	NodeSelector map[string]string `yaml:"nodeSelector"`
	Tolerations  []Toleration      `yaml:"tolerations"`
	// GPU applies to pods that ask for GPUs.
	GPU GPUConfig `yaml:"gpu"`
	// Ports gives the port a server listens on, by image id; when absent,
	// its kind's (form.Profile.Port), else 8888.
	Ports map[string]int `yaml:"ports"`
	// HomePath is where the workspace volume is mounted (/home/jovyan).
	HomePath string `yaml:"homePath"`
	// RunAsUser is the container user (1000); the group is always 100
	// (fsGroup too), as in the Jupyter docker stacks.
	RunAsUser int64 `yaml:"runAsUser"`

	// QPS and Burst pace this replica's requests to the API server
	// (client-go's token bucket); 50 and 100 when 0. client-go's own
	// default (5, 10) holds a class start to about one launch a second per
	// replica. spawner.maxStartsPerBackend bounds the starts in flight.
	QPS   float32 `yaml:"qps"`
	Burst int     `yaml:"burst"`
}

// AllowFrom names spawnhub's own pods: their namespace and labels.
type AllowFrom struct {
	Namespace string            `yaml:"namespace"`
	PodLabels map[string]string `yaml:"podLabels"`
}

// GPUConfig places pods that ask for GPUs.
type GPUConfig struct {
	// Resource is the extended resource counted in limits (nvidia.com/gpu).
	Resource     string            `yaml:"resource"`
	NodeSelector map[string]string `yaml:"nodeSelector"`
	Tolerations  []Toleration      `yaml:"tolerations"`
	// Vendors place the pods of a server that names its GPU vendor
	// (store.Spec.GPUVendor) with that vendor's resource, node selector
	// and tolerations instead of the three above.
	Vendors []GPUVendor `yaml:"vendors"`
}

// GPUVendor is one kind of GPU of the cluster, as spawner.gpu.vendors
// declares it.
type GPUVendor = form.GPUVendor

// Toleration is a pod toleration, in configuration-file form: the one the
// form policy declares for GPU placement (Operator Equal (default) or
// Exists; Effect NoSchedule, PreferNoSchedule, NoExecute or empty).
type Toleration = form.Toleration

var pullPolicies = []string{string(corev1.PullAlways), string(corev1.PullIfNotPresent), string(corev1.PullNever)}

// Validate reports every problem at once. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	if c.PullPolicy != "" && !slices.Contains(pullPolicies, c.PullPolicy) {
		errs = append(errs, fmt.Errorf("pullPolicy: %q is not one of %v", c.PullPolicy, pullPolicies))
	}
	if c.RunAsUser < 0 {
		errs = append(errs, fmt.Errorf("runAsUser: %d is negative", c.RunAsUser))
	}
	for id, p := range c.Ports {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("ports.%s: %d is not a port", id, p))
		}
	}
	errs = append(errs, labelsValid("namespaceLabels", c.NamespaceLabels),
		labelsValid("nodeSelector", c.NodeSelector), labelsValid("allowFrom.podLabels", c.AllowFrom.PodLabels),
		tolerationsValid("tolerations", c.Tolerations), c.GPU.Validate("gpu."))
	return errors.Join(errs...)
}

// Validate reports every problem of the GPU placement at once, each under
// prefix ("gpu."). It has no side effects.
func (g GPUConfig) Validate(prefix string) error {
	errs := []error{placementValid(prefix, g.Resource, g.NodeSelector, g.Tolerations)}
	for i, v := range g.Vendors {
		errs = append(errs, placementValid(fmt.Sprintf("%svendors[%d].", prefix, i), v.Resource, v.NodeSelector, v.Tolerations))
	}
	return errors.Join(errs...)
}

func placementValid(prefix, resource string, nodeSelector map[string]string, ts []Toleration) error {
	errs := []error{labelsValid(prefix+"nodeSelector", nodeSelector), tolerationsValid(prefix+"tolerations", ts)}
	if resource != "" && len(validation.IsQualifiedName(resource)) > 0 {
		errs = append(errs, fmt.Errorf("%sresource: %q is not a resource name", prefix, resource))
	}
	return errors.Join(errs...)
}

func labelsValid(path string, m map[string]string) error {
	var errs []error
	for k, v := range m {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: key %q: %v", path, k, msgs))
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s.%s: %q: %v", path, k, v, msgs))
		}
	}
	return errors.Join(errs...)
}

func tolerationsValid(path string, ts []Toleration) error {
	var errs []error
	for i, t := range ts {
		if t.Operator != "" && t.Operator != "Equal" && t.Operator != "Exists" {
			errs = append(errs, fmt.Errorf("%s[%d].operator: %q is not Equal or Exists", path, i, t.Operator))
		}
		if !slices.Contains([]string{"", "NoSchedule", "PreferNoSchedule", "NoExecute"}, t.Effect) {
			errs = append(errs, fmt.Errorf("%s[%d].effect: %q is not a taint effect", path, i, t.Effect))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.PullPolicy == "" {
		c.PullPolicy = string(DefaultPullPolicy)
	}
	if c.HomePath == "" {
		c.HomePath = DefaultHomePath
	}
	if c.RunAsUser == 0 {
		c.RunAsUser = DefaultRunAsUser
	}
	if c.GPU.Resource == "" {
		c.GPU.Resource = DefaultGPUKey
	}
	if c.QPS == 0 {
		c.QPS = DefaultQPS
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	return c
}

// Defaults of the client's pace.
const (
	DefaultQPS   = 50
	DefaultBurst = 100
)

func (c Config) port(im form.Image) int {
	if p, ok := c.Ports[im.ID]; ok {
		return p
	}
	if p := im.Profile().Port; p > 0 {
		return p
	}
	return DefaultPort
}

func tolerations(ts []Toleration) []corev1.Toleration {
	out := make([]corev1.Toleration, 0, len(ts))
	for _, t := range ts {
		out = append(out, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOperator(t.Operator),
			Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
	}
	return out
}
