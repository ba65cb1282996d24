package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testPubSub(t *testing.T, newStore NewStore) {
	t.Run("invalidations", func(t *testing.T) { testInvalidations(t, newStore(t)) })
	t.Run("fan out", func(t *testing.T) { testFanOut(t, newStore(t)) })
	t.Run("close on done", func(t *testing.T) { testSubscribeDone(t, newStore(t)) })
}

// testInvalidations checks that every write another replica caches is
// announced to a second handle, in order.
func testInvalidations(t *testing.T, s store.Store) {
	ctx := t.Context()
	other := peer(t, s)
	routes := subscribe(t, other, store.TopicRoutes)
	servers := subscribe(t, other, store.TopicServers)
	tokens := subscribe(t, other, store.TopicTokens)
	sessions := subscribe(t, other, store.TopicSessions)
	access := subscribe(t, other, store.TopicAccess)
	key := store.Key{Namespace: "alice", Name: "lab"}

	wantErr(t, "SetRoute", s.SetRoute(ctx, key, store.Route{Target: "http://127.0.0.1:1", Namespace: "alice"}), nil)
	wantMsg(t, routes, "SetRoute", key.String())
	wantErr(t, "DeleteRoute", s.DeleteRoute(ctx, key), nil)
	wantMsg(t, routes, "DeleteRoute", key.String())

	v1, err := s.CreateServer(ctx, server("alice", "lab"))
	wantErr(t, "CreateServer", err, nil)
	wantMsg(t, servers, "CreateServer", key.String())
	v2, err := s.UpdateServer(ctx, v1)
	wantErr(t, "UpdateServer", err, nil)
	wantMsg(t, servers, "UpdateServer", key.String())
	wantErr(t, "AppendEvent", s.AppendEvent(ctx, key, store.Event{Time: time.Now(), Type: store.EventNormal, Reason: "Pulling"}), nil)
	wantMsg(t, servers, "AppendEvent (a progress page shows it at once)", key.String())
	wantErr(t, "DeleteServer", s.DeleteServer(ctx, "alice", "lab", v2.Version), nil)
	wantMsg(t, servers, "DeleteServer", key.String())
	wantMsg(t, routes, "DeleteServer", key.String())

	now := time.Now()
	for _, id := range []string{"a", "b"} {
		wantErr(t, "CreateToken", s.CreateToken(ctx, token(id, "jane", now, now.Add(time.Hour))), nil)
	}
	wantErr(t, "DeleteToken by another user", s.DeleteToken(ctx, "bob", "a"), store.ErrNotFound)
	wantErr(t, "DeleteToken", s.DeleteToken(ctx, "jane", "b"), nil)
	wantMsg(t, tokens, "DeleteToken (only the owner's delete publishes)", "hash-b")

	wantErr(t, "RevokeSession", s.RevokeSession(ctx, "sess-1", now.Add(time.Hour)), nil)
	wantMsg(t, sessions, "RevokeSession", "sess-1")

	ns, err := s.CreateNamespace(ctx, store.Namespace{Name: "jane-doe", Owner: "jane"})
	wantErr(t, "CreateNamespace", err, nil)
	wantMsg(t, access, "CreateNamespace", "jane-doe")
	ns.Contributors = []store.Contributor{{User: "bob", Role: "view"}}
	_, err = s.UpdateNamespace(ctx, ns)
	wantErr(t, "UpdateNamespace", err, nil)
	wantMsg(t, access, "UpdateNamespace", "jane-doe")
}

// testFanOut checks that every subscriber gets every message, from its own
// handle and from another.
func testFanOut(t *testing.T, s store.Store) {
	ctx := t.Context()
	other := peer(t, s)
	subs := []<-chan string{
		subscribe(t, s, "custom"),
		subscribe(t, other, "custom"),
		subscribe(t, other, "custom"),
	}
	unrelated := subscribe(t, other, "unrelated")
	wantErr(t, "Publish", s.Publish(ctx, "custom", "one"), nil)
	wantErr(t, "Publish", other.Publish(ctx, "custom", "two"), nil)
	wantErr(t, "Publish", s.Publish(ctx, "unrelated", "three"), nil)
	for i, ch := range subs {
		wantMsg(t, ch, fmt.Sprint("subscriber ", i), "one")
		wantMsg(t, ch, fmt.Sprint("subscriber ", i), "two")
	}
	wantMsg(t, unrelated, "unrelated topic", "three")
}

func testSubscribeDone(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Subscribe(ctx, "custom")
	wantErr(t, "Subscribe", err, nil)
	wantErr(t, "Publish", s.Publish(t.Context(), "custom", "before"), nil)
	wantMsg(t, ch, "before cancel", "before")
	cancel()
	timeout := time.After(waitTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("Subscribe channel still open %v after its context ended", waitTimeout)
		}
	}
}

func subscribe(t *testing.T, s store.PubSub, topic string) <-chan string {
	t.Helper()
	ch, err := s.Subscribe(t.Context(), topic)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", topic, err)
	}
	return ch
}

// wantMsg waits for the next message on ch, skipping resync messages (""),
// which a store may send at any time.
func wantMsg(t *testing.T, ch <-chan string, what, want string) {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case got, ok := <-ch:
			switch {
			case !ok:
				t.Fatalf("%s: channel closed, want message %q", what, want)
			case got == "":
				continue
			case got != want:
				t.Fatalf("%s: got message %q, want %q", what, got, want)
			}
			return
		case <-timeout:
			t.Fatalf("%s: no message after %v, want %q", what, waitTimeout, want)
		}
	}
}
