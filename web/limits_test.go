package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// headerAuth authenticates a request as the identity its X-User names.
type headerAuth map[string]auth.Identity

func (h headerAuth) Authenticate(r *http.Request) (auth.Identity, error) {
	id, ok := h[r.Header.Get("X-User")]
	if !ok {
		return auth.Identity{}, auth.ErrUnauthenticated
	}
	return id, nil
}

// idleBackend runs nothing: these tests look at what is refused.
type idleBackend struct{}

func (idleBackend) Start(ctx context.Context, _ store.Server, _ form.Image, _ string, _ func(store.Event)) (store.Route, string, error) {
	<-ctx.Done()
	return store.Route{}, "", ctx.Err()
}
func (idleBackend) Stop(context.Context, store.Server) error          { return nil }
func (idleBackend) Alive(context.Context, store.Server) (bool, error) { return false, nil }

// slowTokens is a store whose token list answers late, as a remote one
// does: it may be out of date when it arrives, so that token creations
// racing without a lock would all see room.
type slowTokens struct{ *memory.Store }

func (s slowTokens) ListTokens(ctx context.Context, user string) ([]store.Token, error) {
	ts, err := s.Store.ListTokens(ctx, user)
	time.Sleep(5 * time.Millisecond) // widens the race; nothing is timed
	return ts, err
}

type apiFixture struct {
	h  http.Handler
	st *memory.Store
}

// newAPIFixture serves the web layer on a memory store, for the users
// alice, bob (who own their namespaces) and root (an administrator).
func newAPIFixture(t *testing.T, q form.Quotas) *apiFixture {
	t.Helper()
	return newAPIFixtureWith(t, q, form.Config{Images: []form.Image{{ID: "demo", Kind: form.KindDemo, Command: []string{"demo"}}}})
}

// newAPIFixtureWith is newAPIFixture with the spawner's configuration cfg.
func newAPIFixtureWith(t *testing.T, q form.Quotas, cfg form.Config) *apiFixture {
	t.Helper()
	st := memory.New()
	for _, u := range []string{"alice", "bob", "root"} {
		if _, err := st.CreateNamespace(context.Background(), store.Namespace{Name: u, Owner: u}); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mgr := spawner.NewManager(st, idleBackend{}, cfg, spawner.WithLogger(log), spawner.WithQuotas(q))
	t.Cleanup(func() { _ = st.Close() })
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewSigner([]auth.Key{{ID: "k", Secret: []byte(strings.Repeat("k", 32))}}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	ids := headerAuth{
		"alice": {UserID: "alice", Namespace: "alice", Expires: later},
		"bob":   {UserID: "bob", Namespace: "bob", Expires: later},
		"root":  {UserID: "root", Namespace: "root", Admin: true, Expires: later},
	}
	policy := auth.NewPolicy(nil, nil, st)
	tokens := auth.NewTokens(slowTokens{st}, func(ns string) int { return q.For(ns).TokensPerUser }, log)
	e, err := New(Options{Servers: mgr, Store: st, Auth: ids, Policy: policy,
		Sessions: auth.NewSessions(st, signer, auth.Cookies{}, nil), Tokens: tokens, Sharing: auth.NewSharing(st, policy, log),
		Catalog: cat, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return &apiFixture{h: e, st: st}
}

func (fx *apiFixture) call(user, lang, method, path, body string) (*http.Response, map[string]any) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("X-User", user)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Result(), out
}

// TestTokensPerUserLimit: tokens created at once never go past the limit
// of the user's namespace; the refusal is a 409 naming the limit in
// English and French, and every answer that carries a secret is no-store.
func TestTokensPerUserLimit(t *testing.T) {
	fx := newAPIFixture(t, form.Quotas{Quota: form.Quota{TokensPerUser: 3},
		Namespaces: map[string]form.QuotaOverride{"bob": {TokensPerUser: new(1)}}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for range 10 {
		wg.Go(func() {
			<-start // all at once
			res, out := fx.call("alice", "en", "POST", "/api/v1/tokens", `{"name":"t"}`)
			mu.Lock()
			defer mu.Unlock()
			statuses[res.StatusCode]++
			if res.StatusCode == http.StatusCreated && (res.Header.Get("Cache-Control") != "no-store" || out["token"] == nil) {
				t.Errorf("created token: Cache-Control %q, token %v; want no-store and the secret", res.Header.Get("Cache-Control"), out["token"])
			}
		})
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusCreated] != 3 || statuses[http.StatusConflict] != 7 {
		t.Errorf("statuses = %v, want 3 created and 7 refused", statuses)
	}
	if have, _ := fx.st.ListTokens(context.Background(), "alice"); len(have) != 3 {
		t.Errorf("alice has %d tokens, want 3", len(have))
	}
	fx.call("bob", "en", "POST", "/api/v1/tokens", `{}`)
	var msgs []string
	for _, lang := range []string{"en", "fr"} {
		res, out := fx.call("bob", lang, "POST", "/api/v1/tokens", `{}`)
		if res.StatusCode != http.StatusConflict || out["code"] != "quota.tokensPerUser" {
			t.Errorf("bob's second token (%s) = %d %v, want 409 quota.tokensPerUser (his namespace allows 1)", lang, res.StatusCode, out)
		}
		msg, _ := out["error"].(string)
		msgs = append(msgs, msg)
	}
	if !strings.Contains(msgs[0], "1 API tokens") || msgs[0] == msgs[1] || !strings.Contains(msgs[1], "1 jetons") {
		t.Errorf("messages %q: want the limit named in English and in French", msgs)
	}
}

func TestEveryAPIAnswerIsNoStore(t *testing.T) {
	fx := newAPIFixture(t, form.Quotas{})
	for _, tt := range []struct{ user, path string }{{"alice", "/api/v1/me"}, {"alice", "/api/v1/tokens"}, {"nobody", "/api/v1/me"}} {
		res, _ := fx.call(tt.user, "en", "GET", tt.path, "")
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s as %s: Cache-Control %q, want no-store", tt.path, tt.user, got)
		}
	}
}

// TestAdminCannotCreateInMissingNamespace: an administrator has a role in
// every namespace name, but cannot create servers or volumes where no
// namespace exists (404) or in a name that is no namespace's (400).
func TestAdminCannotCreateInMissingNamespace(t *testing.T) {
	fx := newAPIFixture(t, form.Quotas{})
	for _, tt := range []struct {
		path, body string
		status     int
		field      string
	}{
		{"/api/v1/namespaces/nobody/volumes", `{"name":"data","size":"1Gi"}`, 404, ""},
		{"/api/v1/namespaces/kube-system/volumes", `{"name":"data","size":"1Gi"}`, 404, ""},
		{"/api/v1/namespaces/Bad_NS/volumes", `{"name":"data","size":"1Gi"}`, 400, "namespace"},
		{"/api/v1/namespaces/nobody/servers", `{"name":"lab","image":"demo"}`, 404, ""},
		{"/api/v1/namespaces/nobody/launch", `{"image":"demo"}`, 404, ""},
	} {
		res, out := fx.call("root", "en", "POST", tt.path, tt.body)
		if res.StatusCode != tt.status || (out["field"] != nil && out["field"] != tt.field) || (tt.field != "" && out["field"] != tt.field) {
			t.Errorf("POST %s as admin = %d %v, want %d on %q", tt.path, res.StatusCode, out, tt.status, tt.field)
		}
	}
	if srvs, _ := fx.st.ListServers(context.Background(), ""); len(srvs) != 0 {
		t.Errorf("servers after refusals = %v, want none", srvs)
	}
	if _, err := fx.st.GetNamespace(context.Background(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("namespace nobody after refusals: %v, want none", err)
	}
	if res, out := fx.call("root", "en", "POST", "/api/v1/namespaces/alice/volumes", `{"name":"data","size":"1Gi"}`); res.StatusCode != http.StatusCreated {
		t.Errorf("admin creating a volume for alice = %d %v, want 201", res.StatusCode, out)
	}
}
