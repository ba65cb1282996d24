package spawner

import (
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// A server its own user shut down (Jupyter's Quit: a clean exit) is
// Stopped, not Failed.
func TestCleanExitStops(t *testing.T) {
	fx := newFixture(t, 1)
	srv := fx.running(t, "lab")
	fx.b.onExit(srv.Key(), srv.Instance, nil)
	got := fx.get(t, "lab")
	if got.Phase != store.PhaseStopped || got.MessageCode != "quit" {
		t.Errorf("after a clean exit = %s %q, want stopped, code quit", got.Phase, got.MessageCode)
	}
}

// Launch starts the stopped server of the image again, with its volumes,
// rather than creating another; LaunchNew creates another.
func TestLaunchReusesStopped(t *testing.T) {
	fx := newFixture(t, 1)
	first := fx.running(t, "lab")
	if _, err := fx.m.Stop(ctx, first.Namespace, first.Name); err != nil {
		t.Fatal(err)
	}
	again, err := fx.m.Launch(ctx, first.Namespace, form.Requester{}, first.Spec.Image)
	if err != nil {
		t.Fatal(err)
	}
	if again.Name != first.Name || again.Phase != store.PhaseQueued {
		t.Errorf("Launch after Stop = %s %s, want %s queued again", again.Name, again.Phase, first.Name)
	}
	fresh, err := fx.m.LaunchNew(ctx, first.Namespace, form.Requester{}, first.Spec.Image)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Name == first.Name {
		t.Errorf("LaunchNew = %s, want a new server", fresh.Name)
	}
}
