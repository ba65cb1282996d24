package kube_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// deployDir holds the manifests, relative to this package.
const deployDir = "../../deploy"

// deployRBAC reads the ClusterRole and its binding from deploy/.
func deployRBAC(t *testing.T) (*rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
	t.Helper()
	raw, err := os.ReadFile(deployDir + "/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role *rbacv1.ClusterRole
	var binding *rbacv1.ClusterRoleBinding
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("rbac.yaml: %v", err)
		}
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			role = o
		case *rbacv1.ClusterRoleBinding:
			binding = o
		}
	}
	if role == nil || binding == nil {
		t.Fatal("rbac.yaml lacks the ClusterRole or its binding")
	}
	return role, binding
}

// rbacConfig is every feature that needs a permission.
var rbacConfig = kube.Config{CreateNamespaces: true,
	AllowFrom: kube.AllowFrom{Namespace: "spawnhub", PodLabels: map[string]string{"app.kubernetes.io/name": "spawnhub"}}}

func testRBAC(t *testing.T, env *kubeenv.Env) {
	ctx := ctxFor(t)
	rc := env.ConfigFor(env.Tokens["spawnhub-sa"])

	t.Run("without the ClusterRole", func(t *testing.T) {
		b, err := kube.New(kube.Options{Config: rbacConfig, RESTConfig: rc, Events: memory.New()})
		if err != nil {
			t.Fatal(err)
		}
		err = b.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "not allowed to get pods") || !strings.Contains(err.Error(), "create networkpolicies.networking.k8s.io") {
			t.Errorf("Run without RBAC: %v, want an error naming the missing permissions", err)
		}
	})

	role, binding := deployRBAC(t)
	binding.Subjects = []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "spawnhub-test"}}
	if _, err := env.Admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	probe, err := kube.New(kube.Options{Config: rbacConfig, RESTConfig: rc, Events: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the authorizer to see the binding", func() bool { return probe.CheckAccess(ctx) == nil })

	t.Run("with exactly the ClusterRole", func(t *testing.T) {
		b := startBackend(t, rc, rbacConfig, nil)
		srv := server("rbac", "lab", jupyterSpec("lab"))
		_, inst, err := b.Start(ctx, srv, imageOf(srv), "t", func(store.Event) {})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		srv.Instance = inst
		if alive, err := b.Alive(ctx, srv); !alive || err != nil {
			t.Errorf("Alive = %v, %v", alive, err)
		}
		if _, err := b.CreateVolume(ctx, "rbac", spawner.Volume{Name: "extra", Size: "1Gi"}); err != nil {
			t.Errorf("CreateVolume: %v", err)
		}
		if vols, err := b.ListVolumes(ctx, "rbac"); err != nil || len(vols) != 2 {
			t.Errorf("ListVolumes = %v, %v; want 2", vols, err)
		}
		if err := b.DeleteVolume(ctx, "rbac", "extra"); err != nil {
			t.Errorf("DeleteVolume: %v", err)
		}
		if err := b.Sweep(ctx); err != nil {
			t.Errorf("Sweep: %v", err)
		}
		if err := b.Stop(ctx, srv); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if err := b.DeleteVolumes(ctx, srv); err != nil {
			t.Errorf("DeleteVolumes: %v", err)
		}
	})
}

func testDeployDryRun(t *testing.T, env *kubeenv.Env) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := env.CreateNamespace(ctx, "spawnhub", nil); err != nil {
		t.Fatal(err)
	}
	out, err := env.Kubectl("apply", "--dry-run=server", "-k", deployDir)
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server -k deploy: %v", err)
	}
	for _, want := range []string{"deployment.apps/spawnhub", "statefulset.apps/redis", "clusterrole.rbac.authorization.k8s.io/spawnhub",
		"networkpolicy.networking.k8s.io/redis", "poddisruptionbudget.policy/spawnhub", "configmap/spawnhub"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl output lacks %s:\n%s", want, out)
		}
	}
}
