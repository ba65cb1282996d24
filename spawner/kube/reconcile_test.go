package kube_test

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// replica is a manager and its backend, as one spawnhub process runs them.
type replica struct {
	m     *spawner.Manager
	b     *backend
	ticks chan time.Time // the reconciler's clock; waitPhase ticks it
	stop  func()
}

func startReplica(t *testing.T, env *kubeenv.Env, st *memory.Store) *replica {
	t.Helper()
	b := startBackend(t, env.AdminConfig, kube.Config{CreateNamespaces: true}, st)
	cfg := form.Config{Images: images, Limits: form.Limits{
		CPU: form.Range{Default: "500m"}, Memory: form.Range{Default: "1Gi"}, WorkspaceSize: form.Range{Default: "1Gi"},
	}}
	ticks := make(chan time.Time)
	m := spawner.NewManager(st, b, cfg, spawner.WithOwner("replica-1"), spawner.WithTicks(ticks),
		spawner.WithVolumeStore(b), spawner.WithExitNotifier(b), spawner.WithVolumeDeleter(b))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }() // ends when stop cancels ctx
	r := &replica{m: m, b: b, ticks: ticks}
	r.stop = sync.OnceFunc(func() { cancel(); <-done; b.stop() })
	t.Cleanup(r.stop)
	return r
}

// waitPhase waits for the record to reach want, ticking r's reconciler.
func (r *replica) waitPhase(t *testing.T, st store.Store, key store.Key, want store.Phase) store.Server {
	t.Helper()
	var srv store.Server
	defer func() {
		if t.Failed() {
			evs, _ := st.ListEvents(context.Background(), key)
			t.Logf("record %s: %s %q; events %v", key, srv.Phase, srv.Message, evs)
		}
	}()
	eventually(t, string(want)+" "+key.String(), func() bool {
		select {
		case r.ticks <- time.Now():
		default:
		}
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
	outer := t // replicas outlive the subtests that restart them
	key := store.Key{Namespace: "rec", Name: "lab"}
	r := startReplica(t, env, st)
	if _, err := r.m.Create(ctx, key.Namespace, form.Requester{UserID: "rec"}, form.Form{Name: key.Name, Image: "jupyter"}); err != nil {
		t.Fatal(err)
	}
	running := r.waitPhase(t, st, key, store.PhaseRunning)

	t.Run("crash mid-stop", func(t *testing.T) {
		setPhase(t, st, key, store.PhaseStopping, running.Instance)
		r.stop()
		r = startReplica(outer, env, st) // its first reconcile finishes the stop
		r.waitPhase(t, st, key, store.PhaseStopped)
		if !podGone(t, env, key.Namespace, key.Name) {
			t.Errorf("pod still there after the stop was finished")
		}
	})

	t.Run("crash mid-spawn", func(t *testing.T) {
		if _, err := r.m.Start(ctx, key.Namespace, key.Name); err != nil {
			t.Fatal(err)
		}
		first := r.waitPhase(t, st, key, store.PhaseRunning)
		setPhase(t, st, key, store.PhaseStarting, "") // the instance was never recorded
		r.stop()
		r = startReplica(outer, env, st) // requeues: stops the half-started pod, starts again
		srv := r.waitPhase(t, st, key, store.PhaseRunning)
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
