package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testRoutes(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	key := store.Key{Namespace: "alice", Name: "lab"}
	_, err := s.GetRoute(ctx, key)
	wantErr(t, "GetRoute of an unknown route", err, store.ErrNotFound)

	want := store.Route{Target: "http://127.0.0.1:41234", Token: "t0k", StripPrefix: true, Namespace: "alice",
		Headers: map[string]string{"X-Rstudio-Root-Path": "/notebook/alice/lab/"}, RewriteRedirects: true, ResponseTimeout: 5 * time.Minute,
		Kind: "jupyter", ActivityIgnore: []string{"api/kernels", "POST events/get_events"}}
	wantErr(t, "SetRoute", s.SetRoute(ctx, key, want), nil)
	got, err := s.GetRoute(ctx, key)
	wantErr(t, "GetRoute", err, nil)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetRoute = %+v, want %+v", got, want)
	}
	_, err = s.GetRoute(ctx, store.Key{Namespace: "bob", Name: "lab"})
	wantErr(t, "GetRoute in another namespace", err, store.ErrNotFound)

	want.Target = "http://127.0.0.1:41235"
	wantErr(t, "SetRoute again", s.SetRoute(ctx, key, want), nil)
	if got, _ := s.GetRoute(ctx, key); !reflect.DeepEqual(got, want) {
		t.Errorf("GetRoute after replace = %+v, want %+v", got, want)
	}

	// A second handle sees the route: replicas share it.
	if got, err := peer(t, s).GetRoute(ctx, key); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("peer GetRoute = %+v, %v; want %+v", got, err, want)
	}

	wantErr(t, "DeleteRoute", s.DeleteRoute(ctx, key), nil)
	_, err = s.GetRoute(ctx, key)
	wantErr(t, "GetRoute after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteRoute of a deleted route", s.DeleteRoute(ctx, key), nil)
}
