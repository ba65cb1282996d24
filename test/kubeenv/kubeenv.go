// Package kubeenv starts a throwaway Kubernetes control plane for tests:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok,
// all on loopback with random ports, each in its own temporary directory.
//
// kwok stands in for the kubelet: pods scheduled to its fake node become
// Running and Ready with a pod IP inside 127.1.0.0/16, so a test can start
// the real server process on that address. PVCs are Bound through kwok's
// fake volume stages and the default StorageClass "kwok-volume".
//
// The fake node NodeName carries no taint, so pods need no toleration;
// AddNode adds more nodes (say a tainted GPU pool). To test least-privilege
// RBAC, give Options.ExtraTokens a user or group, bind a ClusterRole to it
// after Start and use Env.ConfigFor(env.Tokens[user]).
//
// The binaries come from build.sh in this directory (cached, built from Go
// modules). Start builds them when they are missing, unless
// SPAWNHUB_TEST_ALLOW_SKIP=1, in which case the test is skipped instead.
package kubeenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Versions built by build.sh; a test keeps the two in step.
const (
	KubernetesVersion = "1.37.2"
	EtcdVersion       = "3.6.16"
	KwokVersion       = "0.8.0"
)

// Names of the fixed objects every Env has.
const (
	NodeName         = "kwok-node-0"
	StorageClassName = "kwok-volume"
	// NodeAnnotation marks nodes kwok manages; AddNode sets it.
	NodeAnnotation = "kwok.x-k8s.io/node"
)

// Users the token file always holds.
const (
	AdminUser        = "admin"           // group system:masters
	UnprivilegedUser = "unprivileged"    // no groups, no RBAC bindings
	UnprivilegedUID  = "unprivileged-id" // its UID
)

// startTimeout bounds every readiness wait. It is generous because the
// test machines are shared and slow; a healthy start takes a few seconds.
const startTimeout = 90 * time.Second

// Token is an extra user in the API server's static token file. Bind it to
// roles with RBAC objects after Start; the token itself only authenticates.
type Token struct {
	Token  string // the bearer token; empty means a random one
	User   string
	Groups []string
}

// Options selects what Start runs. The zero value runs everything.
type Options struct {
	// BinDir holds the binaries; empty means DefaultBinDir().
	BinDir string
	// NoControllerManager skips kube-controller-manager: then no default
	// ServiceAccount, no garbage collection, no PVC binding, and deleted
	// namespaces stay Terminating.
	NoControllerManager bool
	// NoScheduler skips kube-scheduler: pods must set spec.nodeName.
	NoScheduler bool
	// NoKwok skips kwok and its node: pods stay Pending.
	NoKwok bool
	// PodCIDR is kwok's pod range; it must lie inside 127.0.0.0/8. Empty
	// means a random /24 inside 127.1.0.0/16, so that environments running
	// at the same time hand out different pod addresses.
	PodCIDR string
	// ExtraTokens are added to the token file next to the admin and the
	// unprivileged user. Empty Token fields are filled in; read them back
	// from Env.Tokens.
	ExtraTokens []Token
}

// Env is a running control plane. Everything is stopped by t.Cleanup.
type Env struct {
	// Host is the API server's URL, https://127.0.0.1:<port>.
	Host string
	// CAFile is the PEM file that verifies the API server's certificate.
	CAFile string
	// AdminConfig authenticates as AdminUser (system:masters).
	AdminConfig *rest.Config
	// Admin is a clientset for AdminConfig.
	Admin kubernetes.Interface
	// Kubeconfig is the path of an admin kubeconfig file.
	Kubeconfig string
	// AdminToken and UnprivilegedToken are the bearer tokens of the two
	// built-in users.
	AdminToken        string
	UnprivilegedToken string
	// Tokens maps each user of Options.ExtraTokens to its token.
	Tokens map[string]string
	// PodCIDR is the range kwok takes pod IPs from (empty without kwok).
	PodCIDR string
	// BinDir holds the binaries in use (kubectl among them).
	BinDir string
	// Dir is the root of the environment's temporary directories. It is
	// removed at cleanup, unless the test failed: then logs stay there.
	Dir string

	t                 testing.TB
	saKey             string // service account signing key
	kwok              *proc  // nil without kwok
	controllerManager *proc  // nil without it
	procs             []*proc
}

// Start runs the control plane for one test and stops it in t.Cleanup,
// in the order kwok, controller-manager, scheduler, apiserver, etcd.
// It fails the test when anything does not come up within a bounded time.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	began := time.Now()
	bin := binaries(t, opts.BinDir)
	dir, err := os.MkdirTemp("", "kubeenv-")
	if err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
	e := &Env{t: t, BinDir: bin, Dir: dir, Tokens: map[string]string{}}
	t.Cleanup(e.stop)

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	took, err := e.start(ctx, opts)
	if err != nil {
		t.Fatalf("kubeenv: %v (logs in %s)", err, dir)
	}
	t.Logf("kubeenv: control plane up in %v at %s (%s)", time.Since(began).Round(time.Millisecond), e.Host, took)
	return e
}

// start runs each component in turn and says how long each took.
func (e *Env) start(ctx context.Context, opts Options) (string, error) {
	var etcdURL string
	steps := []struct {
		name string
		skip bool
		run  func() error
	}{
		{"etcd", false, func() (err error) { etcdURL, err = e.startEtcd(ctx); return err }},
		{"kube-apiserver", false, func() error { return e.startAPIServer(ctx, etcdURL, opts.ExtraTokens) }},
		{"kube-scheduler", opts.NoScheduler, func() error { return e.startScheduler(ctx) }},
		{"kube-controller-manager", opts.NoControllerManager, func() error { return e.startControllerManager(ctx) }},
		{"storage class", false, func() error { return e.createStorageClass(ctx) }},
		{"kwok and its node", opts.NoKwok, func() error { return e.startKwok(ctx, opts.PodCIDR) }},
	}
	var took []string
	for _, s := range steps {
		if s.skip {
			continue
		}
		began := time.Now()
		if err := s.run(); err != nil {
			return "", err
		}
		took = append(took, fmt.Sprintf("%s %v", s.name, time.Since(began).Round(time.Millisecond)))
	}
	return strings.Join(took, ", "), nil
}

// path returns a fresh directory for one component.
func (e *Env) path(name string) (string, error) {
	d := filepath.Join(e.Dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", d, err)
	}
	return d, nil
}
