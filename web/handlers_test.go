package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// fakeServers answers every lifecycle call with the server lab of the
// namespace asked about, or with err; its catalogue is cfg's.
type fakeServers struct {
	err error
	cfg form.Config
}

func (f *fakeServers) lab(ns string) (store.Server, error) {
	return store.Server{Namespace: ns, Name: "lab", Phase: store.PhaseStopped}, f.err
}
func (f *fakeServers) Create(_ context.Context, ns string, _ form.Requester, _ form.Form) (store.Server, error) {
	return f.lab(ns)
}
func (f *fakeServers) Launch(_ context.Context, ns string, _ form.Requester, _ string) (store.Server, error) {
	return f.lab(ns)
}
func (f *fakeServers) LaunchNew(ctx context.Context, ns string, who form.Requester, id string) (store.Server, error) {
	return f.Launch(ctx, ns, who, id)
}
func (f *fakeServers) Logs(context.Context, string, string) ([]byte, error)        { return nil, f.err }
func (f *fakeServers) Start(_ context.Context, ns, _ string) (store.Server, error) { return f.lab(ns) }
func (f *fakeServers) Stop(_ context.Context, ns, _ string) (store.Server, error)  { return f.lab(ns) }
func (f *fakeServers) Get(_ context.Context, ns, _ string) (store.Server, error)   { return f.lab(ns) }
func (f *fakeServers) Delete(context.Context, string, string, bool) error          { return f.err }
func (f *fakeServers) List(context.Context, string) ([]store.Server, error)        { return nil, f.err }
func (f *fakeServers) WatchQueue(context.Context) <-chan struct{}                  { return nil }
func (f *fakeServers) InQueueView(s store.Server) store.Server                     { return s }
func (f *fakeServers) Events(context.Context, string, string) ([]store.Event, error) {
	return nil, f.err
}
func (f *fakeServers) ImagesFor(who form.Requester) []form.ImageOption { return f.cfg.ImagesFor(who) }
func (f *fakeServers) Config() form.Config                             { return f.cfg }
func (f *fakeServers) Volumes(context.Context, string) ([]spawner.VolumeInfo, error) {
	return nil, f.err
}
func (f *fakeServers) CreateVolume(context.Context, string, string, string) (spawner.VolumeInfo, error) {
	return spawner.VolumeInfo{}, f.err
}
func (f *fakeServers) DeleteVolume(context.Context, string, string) error { return f.err }

// countingAccess is the real policy, counting the Role calls.
type countingAccess struct {
	*auth.Policy
	roles atomic.Int64
}

func (a *countingAccess) Role(ctx context.Context, id auth.Identity, ns string) (auth.Role, error) {
	a.roles.Add(1)
	return a.Policy.Role(ctx, id, ns)
}

type handlerFixture struct {
	h       http.Handler
	st      *memory.Store
	servers *fakeServers
	access  *countingAccess
}

// newHandlerFixture serves the web layer with fake servers on a memory
// store: alice owns her namespace and shares it with carol (view) and
// dave (edit); bob owns his own.
func newHandlerFixture(t *testing.T) *handlerFixture {
	t.Helper()
	ctx := context.Background()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	for _, n := range []store.Namespace{
		{Name: "alice", Owner: "alice", Contributors: []store.Contributor{{User: "carol", Role: "view"}, {User: "dave", Role: "edit"}}},
		{Name: "bob", Owner: "bob"},
	} {
		if _, err := st.CreateNamespace(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewSigner([]auth.Key{{ID: "k", Secret: []byte(strings.Repeat("k", 32))}}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	ids := headerAuth{"alice": {UserID: "alice", Namespace: "alice", SessionID: "s-alice", Expires: later}}
	for _, u := range []string{"bob", "carol", "dave"} {
		ids[u] = auth.Identity{UserID: u, Namespace: u, Expires: later}
	}
	ids["alice-token"] = auth.Identity{UserID: "alice", Namespace: "alice", TokenID: "tok_x", Scopes: []string{auth.ScopeServers}}
	fx := &handlerFixture{st: st, servers: &fakeServers{}, access: &countingAccess{Policy: auth.NewPolicy(nil, nil, st)}}
	fx.h, err = New(Options{
		Servers: fx.servers, Store: st, Auth: ids, Policy: fx.access, Catalog: cat, Logger: log, DevLogin: true,
		Sessions: auth.NewSessions(st, signer, auth.Cookies{}, nil),
		Tokens:   auth.NewTokens(st, func(string) int { return 0 }, log),
		Sharing:  auth.NewSharing(st, fx.access.Policy, log),
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *handlerFixture) do(user, lang, method, path, body string) (*http.Response, map[string]any) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("X-User", user)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	if method == http.MethodPost && strings.HasPrefix(body, "username=") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Result(), out
}

// TestErrorStatusMapping: the one error handler turns the spawner's and
// auth's errors into their statuses, with the field and code of a refused
// field and a message in the caller's language.
func TestErrorStatusMapping(t *testing.T) {
	fx := newHandlerFixture(t)
	for _, tt := range []struct {
		name        string
		err         error
		status      int
		field, code string
	}{
		{"auth field", &auth.FieldError{Field: "user", Code: "contributor.user"}, 400, "user", "contributor.user"},
		{"auth limit", fmt.Errorf("tokens: %w", &auth.FieldError{Code: "quota.tokensPerUser", Params: map[string]any{"limit": 2}, Err: auth.ErrLimitReached}), 409, "", "quota.tokensPerUser"},
		{"spawner field", &form.FieldError{Field: "name", Code: "name.invalid"}, 400, "name", "name.invalid"},
		{"name taken", &form.FieldError{Field: "name", Code: "name.taken", Err: store.ErrConflict}, 409, "name", "name.taken"},
		{"over limit", &form.FieldError{Field: "cpu", Code: "quota.cpu", Err: form.ErrOverLimit}, 422, "cpu", "quota.cpu"},
		{"unauthenticated", auth.ErrUnauthenticated, 401, "", ""},
		{"forbidden", fmt.Errorf("x: %w", auth.ErrForbidden), 403, "", ""},
		{"not found", fmt.Errorf("server lab: %w", store.ErrNotFound), 404, "", ""},
		{"conflict", store.ErrConflict, 409, "", ""},
		{"invalid spec", form.ErrInvalidSpec, 400, "", ""},
		{"timeout", context.DeadlineExceeded, 504, "", ""},
		{"other", errors.New("boom"), 500, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx.servers.err = tt.err
			res, out := fx.do("alice", "en", "GET", "/api/v1/namespaces/alice/servers/lab", "")
			if res.StatusCode != tt.status || str(out["field"]) != tt.field || str(out["code"]) != tt.code || str(out["error"]) == "" {
				t.Errorf("%v = %d %v, want %d field %q code %q and a message", tt.err, res.StatusCode, out, tt.status, tt.field, tt.code)
			}
		})
	}
	fx.servers.err = &auth.FieldError{Field: "role", Code: "contributor.role"}
	_, en := fx.do("alice", "en", "GET", "/api/v1/namespaces/alice/servers/lab", "")
	_, fr := fx.do("alice", "fr", "GET", "/api/v1/namespaces/alice/servers/lab", "")
	if en["error"] != "The role must be edit or view." || fr["error"] != "Le rôle doit être edit ou view." {
		t.Errorf("auth field error messages = %q, %q; want the catalog's English and French", en["error"], fr["error"])
	}
}

func str(v any) string { s, _ := v.(string); return s }

// TestOtherNamespacesAre404: a namespace the caller has no role in is a
// 404 on every route, exactly like one that does not exist, whatever role
// the route needs; a role too low for the route is a 403.
func TestOtherNamespacesAre404(t *testing.T) {
	fx := newHandlerFixture(t)
	routes := []struct {
		method, path, body string
		viewer             int // carol's status
	}{
		{"GET", "/api/v1/namespaces/alice/servers", "", 200},
		{"GET", "/api/v1/namespaces/alice/servers/lab", "", 200},
		{"GET", "/api/v1/namespaces/alice/contributors", "", 200},
		{"POST", "/api/v1/namespaces/alice/servers/lab/stop", "", 403},
		{"DELETE", "/api/v1/namespaces/alice/servers/lab", "", 403},
		{"POST", "/api/v1/namespaces/alice/volumes", `{"name":"data"}`, 403},
		{"POST", "/api/v1/namespaces/alice/contributors", `{"user":"erin","role":"view"}`, 403},
		{"DELETE", "/api/v1/namespaces/alice/contributors/dave", "", 403},
		{"GET", "/namespaces/alice/contributors", "", 403},
		{"GET", "/namespaces/alice/new", "", 403},
		{"GET", "/namespaces/alice/volumes", "", 200},
		{"GET", "/notebook/alice/lab/tree", "", 503},
		{"POST", "/notebook/alice/lab/api/kernels", "", 503},
	}
	for _, r := range routes {
		if res, out := fx.do("bob", "en", r.method, r.path, r.body); res.StatusCode != http.StatusNotFound {
			t.Errorf("bob: %s %s = %d %v, want 404", r.method, r.path, res.StatusCode, out)
		}
		if res, out := fx.do("carol", "en", r.method, r.path, r.body); res.StatusCode != r.viewer {
			t.Errorf("carol (viewer): %s %s = %d %v, want %d", r.method, r.path, res.StatusCode, out, r.viewer)
		}
	}
	if res, _ := fx.do("bob", "en", "GET", "/api/v1/namespaces/nobody/servers", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("a namespace that does not exist = %d, want 404 like another's", res.StatusCode)
	}
	if n, _ := fx.st.GetNamespace(context.Background(), "alice"); len(n.Contributors) != 2 {
		t.Errorf("alice's contributors after refusals = %v, want carol and dave only", n.Contributors)
	}
}

// TestOnePolicyRoleCallPerRequest: routes behind two role checks (view for
// the namespace, then edit or owner) ask the policy once.
func TestOnePolicyRoleCallPerRequest(t *testing.T) {
	fx := newHandlerFixture(t)
	for _, r := range []struct{ user, method, path, body string }{
		{"alice", "GET", "/api/v1/namespaces/alice/servers", ""},
		{"dave", "POST", "/api/v1/namespaces/alice/servers/lab/start", ""},
		{"dave", "POST", "/api/v1/namespaces/alice/servers/lab/stop", ""},
		{"alice", "POST", "/api/v1/namespaces/alice/contributors", `{"user":"erin@example.org","role":"edit"}`},
		{"alice", "DELETE", "/api/v1/namespaces/alice/contributors/erin@example.org", ""},
		{"carol", "POST", "/api/v1/namespaces/alice/servers/lab/stop", ""},
		{"bob", "POST", "/api/v1/namespaces/alice/contributors", `{"user":"erin","role":"view"}`},
		{"carol", "GET", "/namespaces/alice/volumes", ""},
	} {
		before := fx.access.roles.Load()
		res, _ := fx.do(r.user, "en", r.method, r.path, r.body)
		if n := fx.access.roles.Load() - before; n != 1 {
			t.Errorf("%s: %s %s (%d) asked Policy.Role %d times, want 1", r.user, r.method, r.path, res.StatusCode, n)
		}
	}
}

// TestContributorsThroughSharing: the API adds (normalising the user),
// refuses the owner and bad roles with their fields, and removes
// contributors; removing someone who is not one is a 404.
func TestContributorsThroughSharing(t *testing.T) {
	fx := newHandlerFixture(t)
	for _, tt := range []struct {
		body        string
		status      int
		field, code string
	}{
		{`{"user":"  Erin@Example.org ","role":"edit"}`, 200, "", ""},
		{`{"user":"alice","role":"view"}`, 400, "user", "contributor.owner"},
		{`{"user":"erin@example.org","role":"admin"}`, 400, "role", "contributor.role"},
		{`{"user":"not an email","role":"view"}`, 400, "user", "contributor.user"},
	} {
		res, out := fx.do("alice", "en", "POST", "/api/v1/namespaces/alice/contributors", tt.body)
		if res.StatusCode != tt.status || str(out["field"]) != tt.field || str(out["code"]) != tt.code {
			t.Errorf("POST contributors %s = %d %v, want %d field %q code %q", tt.body, res.StatusCode, out, tt.status, tt.field, tt.code)
		}
	}
	n, _ := fx.st.GetNamespace(context.Background(), "alice")
	if got := contributorViews(n); len(got) != 3 || got[2] != (contributorView{User: "erin@example.org", Role: "edit"}) {
		t.Errorf("contributors = %v, want carol, dave and erin@example.org (edit)", got)
	}
	if res, _ := fx.do("alice", "en", "DELETE", "/api/v1/namespaces/alice/contributors/Erin@Example.org", ""); res.StatusCode != http.StatusNoContent {
		t.Errorf("removing erin = %d, want 204", res.StatusCode)
	}
	if res, _ := fx.do("alice", "en", "DELETE", "/api/v1/namespaces/alice/contributors/erin@example.org", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("removing erin again = %d, want 404", res.StatusCode)
	}
	_, out := fx.do("carol", "en", "GET", "/api/v1/namespaces", "")
	if items, _ := out["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != "alice" || items[0].(map[string]any)["role"] != "view" {
		t.Errorf("carol's namespaces = %v, want alice's as view", out)
	}
}

// TestSignInAndOut: the development login records the user, gives them a
// namespace and a session cookie (no-store); a bad name is a 400 on
// username; logout revokes the session and clears the cookie.
func TestSignInAndOut(t *testing.T) {
	fx := newHandlerFixture(t)
	res, out := fx.do("", "en", "POST", "/login", "username=Bad+Name")
	if res.StatusCode != http.StatusBadRequest || out["field"] != "username" || out["code"] != "username.invalid" {
		t.Errorf("login as %q = %d %v, want 400 username.invalid", "Bad Name", res.StatusCode, out)
	}
	res, _ = fx.do("", "en", "POST", "/login", "username=+Erin@Example.org&next=/namespaces/erin/new")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/namespaces/erin/new" {
		t.Errorf("login = %d to %q, want 303 to the next page", res.StatusCode, res.Header.Get("Location"))
	}
	if res.Header.Get("Cache-Control") != "no-store" || !hasCookie(res, func(c *http.Cookie) bool { return c.Value != "" && c.MaxAge >= 0 }) {
		t.Errorf("login answer: Cache-Control %q, cookies %v; want no-store and a session cookie", res.Header.Get("Cache-Control"), res.Cookies())
	}
	u, err := fx.st.GetUser(context.Background(), "erin@example.org")
	if err != nil || u.Namespace != "erin" || u.Email != "erin@example.org" {
		t.Errorf("user after login = %+v, %v; want erin@example.org owning erin", u, err)
	}
	res, _ = fx.do("alice", "en", "POST", "/logout", "")
	if res.StatusCode != http.StatusSeeOther || !hasCookie(res, func(c *http.Cookie) bool { return c.MaxAge < 0 }) {
		t.Errorf("logout = %d, cookies %v; want 303 and the cookie cleared", res.StatusCode, res.Cookies())
	}
	if revoked, err := fx.st.IsSessionRevoked(context.Background(), "s-alice"); !revoked || err != nil {
		t.Errorf("alice's session after logout: revoked %v, %v; want revoked", revoked, err)
	}
	if res, _ := fx.do("", "en", "POST", "/logout", ""); res.StatusCode != http.StatusSeeOther {
		t.Errorf("logout without a session = %d, want 303", res.StatusCode)
	}
}

func hasCookie(res *http.Response, ok func(*http.Cookie) bool) bool {
	for _, c := range res.Cookies() {
		if ok(c) {
			return true
		}
	}
	return false
}

// TestTokensThroughTheAPI: tokens get the policy's defaults, the secret is
// in the creation answer only, and a token may not mint tokens (403 before
// its body is read).
func TestTokensThroughTheAPI(t *testing.T) {
	fx := newHandlerFixture(t)
	res, out := fx.do("alice", "en", "POST", "/api/v1/tokens", `{"name":"ci"}`)
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(str(out["token"]), "shp_") || !strings.HasPrefix(str(out["id"]), "tok_") {
		t.Fatalf("create token = %d %v, want 201 with an shp_ secret and a tok_ id", res.StatusCode, out)
	}
	_, listed := fx.do("alice", "en", "GET", "/api/v1/tokens", "")
	if items, _ := listed["items"].([]any); len(items) != 1 || items[0].(map[string]any)["token"] != nil {
		t.Errorf("tokens listed = %v, want one, without its secret", listed)
	}
	res, out = fx.do("alice", "en", "POST", "/api/v1/tokens", `{"scopes":["servers","admin"]}`)
	if res.StatusCode != http.StatusBadRequest || out["field"] != "scopes[1]" || out["code"] != "token.scope_admin" {
		t.Errorf("admin token for a user = %d %v, want 400 on scopes[1]", res.StatusCode, out)
	}
	res, out = fx.do("alice-token", "en", "POST", "/api/v1/tokens", `not json`)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a token minting a token = %d %v, want 403", res.StatusCode, out)
	}
	if res, _ := fx.do("alice", "en", "DELETE", "/api/v1/tokens/"+str(listed["items"].([]any)[0].(map[string]any)["id"]), ""); res.StatusCode != http.StatusNoContent {
		t.Errorf("delete token = %d, want 204", res.StatusCode)
	}
}
