package storetest

import (
	"reflect"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

func testUsers(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	_, err := s.GetUser(ctx, "jane@example.org")
	wantErr(t, "GetUser of an unknown user", err, store.ErrNotFound)

	want := store.User{
		ID: "jane@example.org", Name: "Jane Doe", Email: "jane@example.org",
		Groups: []string{"analysts", "staff"}, Namespace: "jane-doe", Language: "fr",
		CreatedAt: ms(0), LastLogin: ms(5),
	}
	wantErr(t, "PutUser", s.PutUser(ctx, want), nil)
	got, err := s.GetUser(ctx, want.ID)
	wantErr(t, "GetUser", err, nil)
	if !reflect.DeepEqual(utcUser(got), want) {
		t.Errorf("GetUser = %+v, want %+v", got, want)
	}
	got.Groups[0] = "changed"

	want.LastLogin = ms(9)
	want.Groups = []string{"staff"}
	wantErr(t, "PutUser again", s.PutUser(ctx, want), nil)
	got, err = s.GetUser(ctx, want.ID)
	wantErr(t, "GetUser", err, nil)
	if !reflect.DeepEqual(utcUser(got), want) {
		t.Errorf("GetUser after replace = %+v, want %+v", got, want)
	}
}

func utcUser(u store.User) store.User {
	u.CreatedAt, u.LastLogin = u.CreatedAt.UTC(), u.LastLogin.UTC()
	return u
}

func testNamespaces(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	_, err := s.GetNamespace(ctx, "jane-doe")
	wantErr(t, "GetNamespace of an unknown namespace", err, store.ErrNotFound)

	in := store.Namespace{Name: "jane-doe", Owner: "jane@example.org", CreatedAt: ms(0)}
	v1, err := s.CreateNamespace(ctx, in)
	wantErr(t, "CreateNamespace", err, nil)
	if v1.Version != 1 {
		t.Errorf("CreateNamespace version = %d, want 1", v1.Version)
	}
	_, err = s.CreateNamespace(ctx, in)
	wantErr(t, "CreateNamespace of an existing namespace", err, store.ErrConflict)

	shared := v1
	shared.Contributors = []store.Contributor{{User: "bob@example.org", Role: "edit"}}
	v2, err := s.UpdateNamespace(ctx, shared)
	wantErr(t, "UpdateNamespace", err, nil)
	if v2.Version != 2 {
		t.Errorf("UpdateNamespace version = %d, want 2", v2.Version)
	}
	_, err = s.UpdateNamespace(ctx, v1)
	wantErr(t, "UpdateNamespace with a stale version", err, store.ErrConflict)
	_, err = s.UpdateNamespace(ctx, store.Namespace{Name: "ghost", Version: 1})
	wantErr(t, "UpdateNamespace of an unknown namespace", err, store.ErrNotFound)

	got, err := s.GetNamespace(ctx, "jane-doe")
	wantErr(t, "GetNamespace", err, nil)
	got.CreatedAt = got.CreatedAt.UTC()
	if !reflect.DeepEqual(got, v2) {
		t.Errorf("GetNamespace = %+v, want %+v", got, v2)
	}
	got.Contributors[0].Role = "changed"

	if _, err := s.CreateNamespace(ctx, store.Namespace{Name: "bob", Owner: "bob@example.org", CreatedAt: ms(1)}); err != nil {
		t.Fatalf("CreateNamespace bob: %v", err)
	}
	list, err := s.ListNamespaces(ctx)
	wantErr(t, "ListNamespaces", err, nil)
	if len(list) != 2 || list[0].Name != "bob" || list[1].Name != "jane-doe" {
		t.Fatalf("ListNamespaces = %+v, want bob and jane-doe, sorted by name", list)
	}
	if c := list[1].Contributors; len(c) != 1 || c[0].Role != "edit" || list[1].Version != 2 {
		t.Errorf("ListNamespaces jane-doe = %+v, want version 2 shared with bob to edit", list[1])
	}
}
