package storetest

import (
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// testActivitySources checks that the newest mark's source is kept with its
// time, older marks change nothing, and a plain MarkActivity after it leaves
// the time without a source.
func testActivitySources(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	a := store.Key{Namespace: "alice", Name: "a"}
	b := store.Key{Namespace: "bob", Name: "b"}
	c := store.Key{Namespace: "carol", Name: "c"}

	wantErr(t, "RecordActivity of nothing", s.RecordActivity(ctx, nil), nil)
	wantErr(t, "RecordActivity", s.RecordActivity(ctx, map[store.Key]store.Mark{
		a: {At: ms(30), Source: store.SourceKernel}, b: {At: ms(10), Source: store.SourceMouse},
	}), nil)
	wantErr(t, "RecordActivity older", s.RecordActivity(ctx, map[store.Key]store.Mark{
		a: {At: ms(20), Source: store.SourceRequest}, b: {At: ms(40), Source: store.SourceKeyboard},
	}), nil)
	wantErr(t, "MarkActivity", s.MarkActivity(ctx, map[store.Key]time.Time{c: ms(5)}), nil)

	got, err := peer(t, s).Activities(ctx, []store.Key{a, b, c, {Namespace: "nobody", Name: "x"}})
	wantErr(t, "Activities", err, nil)
	want := map[store.Key]store.Activity{
		a: {Key: a, Last: ms(30), Source: store.SourceKernel},
		b: {Key: b, Last: ms(40), Source: store.SourceKeyboard},
		c: {Key: c, Last: ms(5)},
	}
	sameActivities(t, "Activities", got, want)

	wantErr(t, "MarkActivity newer, no source", s.MarkActivity(ctx, map[store.Key]time.Time{a: ms(50)}), nil)
	got, err = s.Activities(ctx, []store.Key{a})
	wantErr(t, "Activities", err, nil)
	sameActivities(t, "Activities after a plain mark", got, map[store.Key]store.Activity{a: {Key: a, Last: ms(50)}})

	wantErr(t, "ClearActivity", s.ClearActivity(ctx, b), nil)
	wantErr(t, "RecordActivity after clear", s.RecordActivity(ctx, map[store.Key]store.Mark{
		b: {At: ms(1), Source: store.SourceTerminal},
	}), nil)
	got, err = s.Activities(ctx, []store.Key{b})
	wantErr(t, "Activities", err, nil)
	sameActivities(t, "Activities after clear", got, map[store.Key]store.Activity{b: {Key: b, Last: ms(1), Source: store.SourceTerminal}})
	if none, err := s.Activities(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("Activities(none) = %v, %v", none, err)
	}
}

func sameActivities(t *testing.T, what string, got, want map[store.Key]store.Activity) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, w := range want {
		g := got[k]
		if g.Key != w.Key || !g.Last.Equal(w.Last) || g.Source != w.Source {
			t.Errorf("%s[%s] = %+v, want %+v", what, k, g, w)
		}
	}
}
