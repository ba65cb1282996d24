package storetest

import (
	"fmt"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

func testEvents(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	key := store.Key{Namespace: "alice", Name: "lab"}
	other := store.Key{Namespace: "alice", Name: "other"}

	got, err := s.ListEvents(ctx, key)
	if err != nil || len(got) != 0 {
		t.Fatalf("ListEvents of a server without events = %v, %v; want none", got, err)
	}
	total := store.MaxEvents + 10
	for i := range total {
		e := store.Event{Time: ms(int64(i)), Type: store.EventNormal, Reason: "Step", Message: fmt.Sprint(i)}
		if err := s.AppendEvent(ctx, key, e); err != nil {
			t.Fatalf("AppendEvent %d: %v", i, err)
		}
	}
	wantErr(t, "AppendEvent", s.AppendEvent(ctx, other, store.Event{Time: ms(0), Type: store.EventWarning, Reason: "BackOff"}), nil)

	got, err = s.ListEvents(ctx, key)
	wantErr(t, "ListEvents", err, nil)
	if len(got) != store.MaxEvents {
		t.Fatalf("ListEvents after %d appends = %d events, want %d", total, len(got), store.MaxEvents)
	}
	for i, e := range got {
		n := i + total - store.MaxEvents
		want := store.Event{Time: ms(int64(n)), Type: store.EventNormal, Reason: "Step", Message: fmt.Sprint(n)}
		if e.Message != want.Message || !e.Time.Equal(want.Time) || e.Type != want.Type || e.Reason != want.Reason {
			t.Fatalf("ListEvents[%d] = %+v, want %+v", i, e, want)
		}
	}
	got, err = s.ListEvents(ctx, other)
	if err != nil || len(got) != 1 || got[0].Type != store.EventWarning {
		t.Errorf("ListEvents of the other server = %+v, %v; want its one warning", got, err)
	}
	got[0].Reason = "changed"
	if again, _ := s.ListEvents(ctx, other); again[0].Reason != "BackOff" {
		t.Errorf("event reason after the caller changed its copy = %q, want BackOff", again[0].Reason)
	}
}
