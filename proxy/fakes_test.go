package proxy

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// fakeAuth knows users by a secret sent as Bearer token or session cookie.
type fakeAuth struct {
	mu    sync.Mutex
	users map[string]auth.Identity
}

// drop forgets the user with that secret (their credential is revoked).
func (a *fakeAuth) drop(secret string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.users, secret)
}

func (a *fakeAuth) Authenticate(r *http.Request) (auth.Identity, error) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		if c, err := r.Cookie("spawnhub_session"); err == nil {
			secret = c.Value
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.users[secret]; ok && id.Audience == "" {
		return id, nil
	}
	return auth.Identity{}, auth.ErrUnauthenticated
}

// StillValid: an identity holds while a user of the fake has it.
func (a *fakeAuth) StillValid(_ context.Context, id auth.Identity) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, u := range a.users {
		if u.UserID == id.UserID && u.SessionID == id.SessionID && u.TokenHash == id.TokenHash {
			return true, nil
		}
	}
	return false, nil
}

// AuthenticateWorkspace takes a Bearer token, or the workspace cookie of an
// identity whose audience is host.
func (a *fakeAuth) AuthenticateWorkspace(r *http.Request, host string) (auth.Identity, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if id, ok := a.users[secret]; ok && id.Audience == "" {
			return id, nil
		}
		return auth.Identity{}, auth.ErrUnauthenticated
	}
	if c, err := r.Cookie("spawnhub_workspace"); err == nil {
		if id, ok := a.users[c.Value]; ok && id.Audience == host {
			return id, nil
		}
	}
	return auth.Identity{}, auth.ErrUnauthenticated
}

// fakeAccess lets users into the namespaces granted to them.
type fakeAccess struct {
	mu      sync.Mutex
	granted map[string]bool // "user ns"
}

func (a *fakeAccess) CanConnect(_ context.Context, id auth.Identity, ns string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.granted[id.UserID+" "+ns]
}

func (a *fakeAccess) set(user, ns string, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.granted[user+" "+ns] = ok
}

// fakeRoutes is a route table that counts lookups.
type fakeRoutes struct {
	mu      sync.Mutex
	routes  map[store.Key]store.Route
	lookups int
}

func (f *fakeRoutes) GetRoute(_ context.Context, k store.Key) (store.Route, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	r, ok := f.routes[k]
	if !ok {
		return store.Route{}, store.ErrNotFound
	}
	return r, nil
}

func (f *fakeRoutes) set(ns, name string, r store.Route) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.Namespace = ns
	f.routes[store.Key{Namespace: ns, Name: name}] = r
}

func (f *fakeRoutes) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

// fakeActivity records what is flushed.
type fakeActivity struct {
	mu      sync.Mutex
	marks   map[store.Key]time.Time
	sources map[store.Key]string
}

func (f *fakeActivity) RecordActivity(_ context.Context, m map[store.Key]store.Mark) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sources == nil {
		f.sources = map[store.Key]string{}
	}
	for k, v := range m {
		f.marks[k], f.sources[k] = v.At, v.Source
	}
	return nil
}

func (f *fakeActivity) source(k store.Key) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sources[k]
}

func (f *fakeActivity) get() map[store.Key]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.marks)
}

// fakePubSub hands each subscriber an unbuffered channel the test sends
// on: a send returns once Run has taken the message, so a second send
// returns once the first was handled.
type fakePubSub struct {
	mu         sync.Mutex
	topics     map[string]chan string
	subscribed chan string
}

func newFakePubSub() *fakePubSub {
	return &fakePubSub{topics: make(map[string]chan string), subscribed: make(chan string, 16)}
}

func (f *fakePubSub) Subscribe(ctx context.Context, topic string) (<-chan string, error) {
	ch := make(chan string)
	f.mu.Lock()
	f.topics[topic] = ch
	f.mu.Unlock()
	f.subscribed <- topic
	return ch, nil
}

// publish delivers msg and waits until Run has handled it.
func (f *fakePubSub) publish(t testing.TB, topic, msg string) {
	t.Helper()
	f.mu.Lock()
	ch := f.topics[topic]
	f.mu.Unlock()
	for _, m := range []string{msg, "noop/noop"} {
		select {
		case ch <- m:
		case <-time.After(10 * time.Second):
			t.Fatalf("publish %q on %s: nobody subscribed", m, topic)
		}
	}
}

// errorBody is the JSON error body the proxy answers with.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field"`
}
