package spawner

import (
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// The culler's events are catalog sentences: codes with their parameters,
// and the English words for clients that know no codes.
func TestCullEventsAreSentences(t *testing.T) {
	fx := newCullFixture(t, CullConfig{IdleTimeout: time.Hour, MaxAge: 90 * time.Minute, WarnBefore: 10 * time.Minute})
	fx.running(t, "lab")
	fx.clock.advance(time.Minute)
	fx.act(t, "lab", store.SourceMouse)
	fx.clock.advance(50 * time.Minute)
	fx.sweep(t) // idle: warned
	fx.clock.advance(time.Minute)
	if err := fx.m.KeepRunning(ctx, "ns", "lab"); err != nil {
		t.Fatal(err)
	}
	fx.clock.advance(40 * time.Minute) // past 90 min old: warned for its age, culled later
	fx.sweep(t)
	fx.clock.advance(10 * time.Minute)
	fx.sweep(t)
	evs, err := fx.st.ListEvents(ctx, store.Key{Namespace: "ns", Name: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		switch e.Reason {
		case "CullWarning", "KeptRunning", "Culled":
			got = append(got, e.Reason+" "+e.Code)
		}
		if e.Reason == "CullWarning" && e.Code == "cull.warned.idle_since" &&
			(e.Params["source"] != store.SourceMouse || e.Params["idle"] != "50 min" || e.Params["at"] == "" || e.Message == "") {
			t.Errorf("idle warning = params %v, words %q; want mouse, 50 min, the cull's time and words", e.Params, e.Message)
		}
	}
	want := []string{"CullWarning cull.warned.idle_since", "KeptRunning cull.kept", "CullWarning cull.warned.max_age", "Culled culled.max_age"}
	if len(got) != len(want) {
		t.Fatalf("culler's events = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("culler's events = %v, want %v", got, want)
			break
		}
	}
}
