package dexenv_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/test/dexenv"
)

var users = []dexenv.User{
	{Email: "alice@example.org", Password: "alice-pw", Name: "Alice Martin", Groups: []string{"jupyter-users", "spawnhub-admins"}},
	{Email: "bob@example.org", Password: "bob-pw"},
	{Email: "carol@elsewhere.example", Password: "carol-pw", Groups: []string{"jupyter-users"}},
}

// loginResult is what the test app's callback answers.
type loginResult struct {
	Email  string   `json:"email"`
	UserID string   `json:"userID"`
	Name   string   `json:"name"`
	Groups []string `json:"groups"`
	Next   string   `json:"next"`
	Error  string   `json:"error"`
}

// app is the smallest web app using auth.OIDC: /login begins, the callback
// finishes and answers with the identity as JSON.
type app struct {
	srv  *httptest.Server
	oidc *auth.OIDC
}

func newApp(t *testing.T) *app {
	a := &app{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /oauth2/callback", a.callback)
	a.srv = httptest.NewServer(mux) // on 127.0.0.1
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	u, err := a.oidc.Begin(w, r, r.URL.Query().Get("next"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	id, next, err := a.oidc.Finish(w, r)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, auth.ErrLoginDenied) {
			status = http.StatusForbidden
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(loginResult{Error: err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(loginResult{Email: id.Email, UserID: id.UserID, Name: id.Name, Groups: id.Groups, Next: next})
}

// start runs Dex with users and the app configured against it.
func start(t *testing.T, cfg auth.OIDCConfig) (*app, *dexenv.Dex) {
	a := newApp(t)
	redirect := a.srv.URL + "/oauth2/callback"
	dex := dexenv.Start(t, dexenv.Options{RedirectURIs: []string{redirect}, Users: users})
	cfg.Issuer, cfg.ClientID, cfg.ClientSecret, cfg.RedirectURL = dex.Issuer, dex.ClientID, dex.ClientSecret, redirect
	o, err := auth.NewOIDC(context.Background(), cfg, []byte("a state key of at least 32 bytes!"), false, nil)
	if err != nil {
		t.Fatalf("NewOIDC against Dex: %v", err)
	}
	a.oidc = o
	return a, dex
}

func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func decode(t *testing.T, resp *http.Response) loginResult {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r loginResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("callback answered %d %q: %v", resp.StatusCode, b, err)
	}
	return r
}

func TestOIDCWithDex(t *testing.T) {
	a, dex := start(t, auth.OIDCConfig{})
	for _, tt := range []struct {
		user       dexenv.User
		next       string
		wantName   string
		wantGroups []string
		wantNext   string
	}{
		{users[0], "/hub/alice", "Alice Martin", []string{"jupyter-users", "spawnhub-admins"}, "/hub/alice"},
		{users[1], "https://evil.example/", "bob", nil, "/"},
	} {
		t.Run(tt.user.Email, func(t *testing.T) {
			resp := dex.Login(t, browser(t), a.srv.URL+"/login?next="+tt.next, tt.user.Email, tt.user.Password)
			got := decode(t, resp)
			t.Logf("callback answered %d: %+v", resp.StatusCode, got)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("callback status = %d (%s), want 200", resp.StatusCode, got.Error)
			}
			if got.Email != tt.user.Email || got.UserID != tt.user.Email {
				t.Errorf("email, user id = %q, %q; want %q", got.Email, got.UserID, tt.user.Email)
			}
			if got.Name != tt.wantName {
				t.Errorf("name = %q, want %q", got.Name, tt.wantName)
			}
			if !slices.Equal(got.Groups, tt.wantGroups) {
				t.Errorf("groups = %q, want %q", got.Groups, tt.wantGroups)
			}
			if got.Next != tt.wantNext {
				t.Errorf("next = %q after next=%s, want %q", got.Next, tt.next, tt.wantNext)
			}
		})
	}
}

func TestOIDCWithDexDeniesOtherDomains(t *testing.T) {
	a, dex := start(t, auth.OIDCConfig{AllowedDomains: []string{"example.org"}})
	resp := dex.Login(t, browser(t), a.srv.URL+"/login", users[2].Email, users[2].Password)
	got := decode(t, resp)
	if resp.StatusCode != http.StatusForbidden || got.Email != "" {
		t.Errorf("login of %s with only example.org allowed: status %d, email %q; want 403 and none",
			users[2].Email, resp.StatusCode, got.Email)
	}
}

// TestOIDCWithDexReplay replays a completed callback, with the state
// cookie the browser had then: the cookie is single use in the browser,
// and Dex refuses the spent code.
func TestOIDCWithDexReplay(t *testing.T) {
	a, dex := start(t, auth.OIDCConfig{})
	client := browser(t)
	var callback *http.Request
	client.Transport = recordCallback(&callback)
	resp := dex.Login(t, client, a.srv.URL+"/login", users[1].Email, users[1].Password)
	if got := decode(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("first login: status %d (%s), want 200", resp.StatusCode, got.Error)
	}
	replay, err := http.DefaultTransport.RoundTrip(callback)
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, replay)
	t.Logf("replay answered %d: %s", replay.StatusCode, got.Error)
	if replay.StatusCode == http.StatusOK || got.Email != "" {
		t.Errorf("replayed callback: status %d, email %q; want an error", replay.StatusCode, got.Email)
	}
}

// recordCallback is a transport that keeps a copy of the request to
// /oauth2/callback, cookies included.
func recordCallback(into **http.Request) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/oauth2/callback" {
			*into = r.Clone(context.Background())
		}
		return http.DefaultTransport.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
