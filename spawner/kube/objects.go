package kube

import (
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// Names inside the pod.
const (
	containerName = "server"
	tokenKey      = "token"
	shmVolume     = "dshm"
	workspaceVol  = "workspace"
)

// TokenSecretName is the Secret holding a server's token.
func TokenSecretName(server string) string { return server + "-token" }

// serverLabels are the labels of every object of a server.
func serverLabels(server string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelServer: server}
}

// podLabels adds one label per configuration ("<id>": "true"), which is how
// Kubeflow PodDefaults select the pods they apply to, and the labels the
// configurations set.
func podLabels(srv store.Server) map[string]string {
	l := serverLabels(srv.Name)
	for _, id := range srv.Spec.Configurations {
		l[id] = "true"
	}
	for k, v := range srv.Spec.Labels {
		if k != LabelManagedBy && k != LabelServer {
			l[k] = v
		}
	}
	return l
}

// tokenSecret holds the server's token; the pod reads it as JUPYTER_TOKEN.
func tokenSecret(srv store.Server, token string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: TokenSecretName(srv.Name), Namespace: srv.Namespace, Labels: serverLabels(srv.Name)},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{tokenKey: token},
	}
}

// claim is a new volume of the server.
func (c Config) claim(srv store.Server, v store.Volume) *corev1.PersistentVolumeClaim {
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: v.Name, Namespace: srv.Namespace, Labels: serverLabels(srv.Name)},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(v.Size)},
			},
		},
	}
	if c.StorageClass != "" {
		pvc.Spec.StorageClassName = ptr.To(c.StorageClass)
	}
	return pvc
}

// newClaims are the claims the spec asks to create.
func (c Config) newClaims(srv store.Server) []*corev1.PersistentVolumeClaim {
	var out []*corev1.PersistentVolumeClaim
	if w := srv.Spec.Workspace; w != nil && w.New {
		out = append(out, c.claim(srv, *w))
	}
	for _, dv := range srv.Spec.DataVolumes {
		if dv.New {
			out = append(out, c.claim(srv, dv.Volume))
		}
	}
	return out
}

// pod is the server's pod, for image im.
func (c Config) pod(srv store.Server, im form.Image) *corev1.Pod {
	spec := srv.Spec
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: srv.Name, Namespace: srv.Namespace, Labels: podLabels(srv)},
		Spec: corev1.PodSpec{
			ServiceAccountName:           c.serviceAccount(),
			AutomountServiceAccountToken: ptr.To(c.AutomountServiceAccountToken),
			EnableServiceLinks:           ptr.To(false),
			RestartPolicy:                corev1.RestartPolicyAlways,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To(c.RunAsUser),
				RunAsGroup:     ptr.To[int64](DefaultFSGroup),
				FSGroup:        ptr.To[int64](DefaultFSGroup),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers:   []corev1.Container{c.container(srv, im)},
			Volumes:      c.volumes(spec),
			NodeSelector: maps.Clone(c.NodeSelector),
			Tolerations:  tolerations(c.Tolerations),
		},
	}
	for _, s := range c.ImagePullSecrets {
		pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	if gpu, ok := c.gpuPlacement(spec); ok && spec.GPUs > 0 {
		if pod.Spec.NodeSelector == nil && len(gpu.nodeSelector) > 0 {
			pod.Spec.NodeSelector = map[string]string{}
		}
		maps.Copy(pod.Spec.NodeSelector, gpu.nodeSelector)
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, tolerations(gpu.tolerations)...)
	}
	if len(pod.Spec.Tolerations) == 0 {
		pod.Spec.Tolerations = nil
	}
	return pod
}

func (c Config) serviceAccount() string {
	if c.ServiceAccount == "" {
		return "default"
	}
	return c.ServiceAccount
}

func (c Config) container(srv store.Server, im form.Image) corev1.Container {
	port := int32(c.port(im))
	pull := im.PullPolicy
	if pull == "" {
		pull = c.PullPolicy
	}
	ctr := corev1.Container{
		Name:            containerName,
		Image:           srv.Spec.ContainerImage,
		ImagePullPolicy: corev1.PullPolicy(pull),
		Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: port, Protocol: corev1.ProtocolTCP}},
		Env:             env(srv),
		Resources:       c.resources(srv.Spec),
		VolumeMounts:    c.mounts(srv.Spec),
		ReadinessProbe:  readiness(srv, im, port),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			RunAsNonRoot:             ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	return ctr
}

// runBase is the path the server serves under: its URL, or "/" when the
// proxy strips the prefix.
func runBase(srv store.Server) string {
	if srv.Spec.StripPrefix {
		return "/"
	}
	return srv.Key().BasePath()
}

// env is the configurations' variables, then ours, which win.
func env(srv store.Server) []corev1.EnvVar {
	lang := "en_US.UTF-8"
	if srv.Spec.Language == "fr" {
		lang = "fr_CA.UTF-8"
	}
	var out []corev1.EnvVar
	ours := map[string]bool{"NB_PREFIX": true, "KF_LANG": true, "LANG": true, "JUPYTER_TOKEN": true}
	for _, e := range srv.Spec.Env {
		if !ours[e.Name] {
			out = append(out, corev1.EnvVar{Name: e.Name, Value: e.Value})
		}
	}
	return append(out,
		corev1.EnvVar{Name: "NB_PREFIX", Value: strings.TrimSuffix(runBase(srv), "/")},
		corev1.EnvVar{Name: "KF_LANG", Value: srv.Spec.Language},
		corev1.EnvVar{Name: "LANG", Value: lang},
		corev1.EnvVar{Name: "JUPYTER_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: TokenSecretName(srv.Name)}, Key: tokenKey,
		}}},
	)
}

func (c Config) resources(spec store.Spec) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	set := func(l corev1.ResourceList, name corev1.ResourceName, q string) {
		if q != "" {
			l[name] = resource.MustParse(q)
		}
	}
	set(r.Requests, corev1.ResourceCPU, spec.CPU)
	set(r.Requests, corev1.ResourceMemory, spec.Memory)
	set(r.Limits, corev1.ResourceCPU, spec.CPULimit)
	set(r.Limits, corev1.ResourceMemory, spec.MemoryLimit)
	if gpu, ok := c.gpuPlacement(spec); ok && spec.GPUs > 0 {
		r.Limits[corev1.ResourceName(gpu.resource)] = *resource.NewQuantity(int64(spec.GPUs), resource.DecimalSI)
	}
	if len(r.Requests) == 0 {
		r.Requests = nil
	}
	if len(r.Limits) == 0 {
		r.Limits = nil
	}
	return r
}

func (c Config) mounts(spec store.Spec) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	if spec.Workspace != nil {
		out = append(out, corev1.VolumeMount{Name: workspaceVol, MountPath: c.HomePath})
	}
	for i, dv := range spec.DataVolumes {
		out = append(out, corev1.VolumeMount{Name: dataVolName(i), MountPath: dv.MountPath})
	}
	for i, ev := range spec.ExtraVolumes {
		out = append(out, corev1.VolumeMount{Name: extraVolName(i), MountPath: ev.MountPath})
	}
	if spec.SharedMemory {
		out = append(out, corev1.VolumeMount{Name: shmVolume, MountPath: "/dev/shm"})
	}
	return out
}

func dataVolName(i int) string { return "data-" + strconv.Itoa(i+1) }

// extraVolName names a configuration's shared volume in the pod.
func extraVolName(i int) string { return "shared-" + strconv.Itoa(i+1) }

func (c Config) volumes(spec store.Spec) []corev1.Volume {
	claim := func(name, claimName string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName},
		}}
	}
	var out []corev1.Volume
	if spec.Workspace != nil {
		out = append(out, claim(workspaceVol, spec.Workspace.Name))
	}
	for i, dv := range spec.DataVolumes {
		out = append(out, claim(dataVolName(i), dv.Name))
	}
	for i, ev := range spec.ExtraVolumes {
		out = append(out, claim(extraVolName(i), ev.Name))
	}
	if spec.SharedMemory {
		out = append(out, corev1.Volume{Name: shmVolume, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory},
		}})
	}
	return out
}

// readiness probes the ready path of the image's kind (or its own) under
// the path the server runs at, or the port when there is none. The kubelet
// sends no token: the path must answer without one (Jupyter's "api" does).
func readiness(srv store.Server, im form.Image, port int32) *corev1.Probe {
	p := &corev1.Probe{PeriodSeconds: 2, FailureThreshold: 3}
	path := strings.TrimPrefix(im.Profile().ReadyPath, "/")
	if path == "" {
		p.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}
		return p
	}
	p.HTTPGet = &corev1.HTTPGetAction{Path: runBase(srv) + path, Port: intstr.FromInt32(port)}
	return p
}
