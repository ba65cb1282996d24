package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testActivity(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	a := store.Key{Namespace: "alice", Name: "a"}
	b := store.Key{Namespace: "bob", Name: "b"}
	c := store.Key{Namespace: "carol", Name: "c"}
	d := store.Key{Namespace: "dave", Name: "d"}

	_, err := s.LastActivity(ctx, a)
	wantErr(t, "LastActivity of an unknown server", err, store.ErrNotFound)
	wantErr(t, "MarkActivity of nothing", s.MarkActivity(ctx, nil), nil)

	wantErr(t, "MarkActivity", s.MarkActivity(ctx, map[store.Key]time.Time{
		a: ms(30), b: ms(10), c: ms(20), d: ms(100),
	}), nil)
	// Older times are ignored, newer ones move the server forward.
	wantErr(t, "MarkActivity", s.MarkActivity(ctx, map[store.Key]time.Time{
		a: ms(5), b: ms(40),
	}), nil)

	for _, tt := range []struct {
		key  store.Key
		want time.Time
	}{{a, ms(30)}, {b, ms(40)}, {c, ms(20)}, {d, ms(100)}} {
		got, err := s.LastActivity(ctx, tt.key)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("LastActivity(%s) = %v, %v; want %v", tt.key, got, err, tt.want)
		}
	}

	nobody := store.Key{Namespace: "nobody", Name: "x"}
	batch, err := s.LastActivities(ctx, []store.Key{a, nobody, d})
	wantErr(t, "LastActivities", err, nil)
	if len(batch) != 2 || !batch[a].Equal(ms(30)) || !batch[d].Equal(ms(100)) {
		t.Errorf("LastActivities(a, nobody, d) = %v, want a at %v and d at %v only", batch, ms(30), ms(100))
	}
	if none, err := s.LastActivities(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("LastActivities(none) = %v, %v", none, err)
	}

	for _, tt := range []struct {
		before time.Time
		want   []store.Activity
	}{
		{ms(20), nil},
		{ms(21), []store.Activity{{Key: c, Last: ms(20)}}},
		{ms(41), []store.Activity{{Key: c, Last: ms(20)}, {Key: a, Last: ms(30)}, {Key: b, Last: ms(40)}}},
	} {
		got, err := s.IdleSince(ctx, tt.before)
		wantErr(t, "IdleSince", err, nil)
		if !reflect.DeepEqual(utcActivity(got), tt.want) {
			t.Errorf("IdleSince(%v) = %v, want %v", tt.before, got, tt.want)
		}
	}

	wantErr(t, "ClearActivity", s.ClearActivity(ctx, c), nil)
	_, err = s.LastActivity(ctx, c)
	wantErr(t, "LastActivity after clear", err, store.ErrNotFound)
	got, err := s.IdleSince(ctx, ms(41))
	wantErr(t, "IdleSince", err, nil)
	if want := []store.Activity{{Key: a, Last: ms(30)}, {Key: b, Last: ms(40)}}; !reflect.DeepEqual(utcActivity(got), want) {
		t.Errorf("IdleSince after clear = %v, want %v", got, want)
	}
	wantErr(t, "ClearActivity of an unknown server", s.ClearActivity(ctx, c), nil)
}

func utcActivity(list []store.Activity) []store.Activity {
	if len(list) == 0 {
		return nil
	}
	out := make([]store.Activity, len(list))
	for i, a := range list {
		out[i] = store.Activity{Key: a.Key, Last: a.Last.UTC()}
	}
	return out
}
