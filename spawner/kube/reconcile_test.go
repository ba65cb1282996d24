package kube_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// replica is a manager and its backend, as one spawnhub process runs them.
type replica struct {
	m    *spawner.Manager
	b    *backend
	stop func()
}

func startReplica(t *testing.T, env *kubeenv.Env, st *memory.Store) *replica {
	t.Helper()
	b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true}, st)
	cfg := spawner.Config{Images: images, Limits: spawner.Limits{
		CPU: spawner.Range{Default: "500m"}, Memory: spawner.Range{Default: "1Gi"}, WorkspaceSize: spawner.Range{Default: "1Gi"},
	}}
	m := spawner.NewManager(st, b, cfg, spawner.WithOwner("replica-1"), spawner.WithTicks(make(chan time.Time)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }() // ends when stop cancels ctx
	r := &replica{m: m, b: b}
	r.stop = func() { cancel(); <-done; b.stop() }
	t.Cleanup(r.stop)
	return r
}

func waitPhase(t *testing.T, st store.Store, key store.Key, want store.Phase) store.Server {
	t.Helper()
	var srv store.Server
	eventually(t, string(want)+" "+key.String(), func() bool {
		var err error
		srv, err = st.GetServer(context.Background(), key.Namespace, key.Name)
		if err == nil && srv.Phase == store.PhaseFailed {
			t.Fatalf("%s failed: %s", key, srv.Message)
		}
		return err == nil && srv.Phase == want
	})
	return srv
}

// setPhase writes a transitional record as a replica that crashed would
// have left it.
func setPhase(t *testing.T, st store.Store, key store.Key, phase store.Phase, instance string) {
	t.Helper()
	srv, err := st.GetServer(context.Background(), key.Namespace, key.Name)
	if err != nil {
		t.Fatal(err)
	}
	srv.Phase, srv.Owner, srv.Instance = phase, "replica-1", instance
	if _, err := st.UpdateServer(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
}

func testReconciler(t *testing.T, env *kubeenv.Env) {
	ctx := ctxFor(t)
	st := memory.New()
	key := store.Key{Namespace: "rec", Name: "lab"}
	r := startReplica(t, env, st)
	if _, err := r.m.Create(ctx, key.Namespace, spawner.Requester{UserID: "rec"}, spawner.Form{Name: key.Name, Image: "jupyter"}); err != nil {
		t.Fatal(err)
	}
	running := waitPhase(t, st, key, store.PhaseRunning)

	t.Run("crash mid-stop", func(t *testing.T) {
		setPhase(t, st, key, store.PhaseStopping, running.Instance)
		r.stop()
		r = startReplica(t, env, st) // its first reconcile finishes the stop
		waitPhase(t, st, key, store.PhaseStopped)
		if !podGone(t, env, key.Namespace, key.Name) {
			t.Errorf("pod still there after the stop was finished")
		}
	})

	t.Run("crash mid-spawn", func(t *testing.T) {
		if _, err := r.m.Start(ctx, key.Namespace, key.Name); err != nil {
			t.Fatal(err)
		}
		first := waitPhase(t, st, key, store.PhaseRunning)
		setPhase(t, st, key, store.PhaseStarting, "") // the instance was never recorded
		r.stop()
		r = startReplica(t, env, st) // requeues: stops the half-started pod, starts again
		srv := waitPhase(t, st, key, store.PhaseRunning)
		pods, err := env.Admin.CoreV1().Pods(key.Namespace).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelServer + "=" + key.Name})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) != 1 || string(pods.Items[0].UID) != srv.Instance || srv.Instance == first.Instance {
			t.Errorf("after the restart: %d pods, record instance %s (before %s), want one new pod matching the record",
				len(pods.Items), srv.Instance, first.Instance)
		}
		if _, err := r.m.Stop(ctx, key.Namespace, key.Name); err != nil {
			t.Fatal(err)
		}
	})
}
