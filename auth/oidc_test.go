package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

const testRedirectURL = "http://127.0.0.1:1/oauth2/callback"

var testStateKey = []byte("0123456789abcdef0123456789abcdef")

// provider is an in-process mockoidc whose token responses a test may
// rewrite (to tamper with the ID token as an attacker would).
type provider struct {
	*mockoidc.MockOIDC
	rewriteIDToken func(string) string
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{MockOIDC: m}
	if err := m.AddMiddleware(p.tokenRewriter); err != nil {
		t.Fatal(err)
	}
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

// tokenRewriter passes id_token in token responses through rewriteIDToken.
func (p *provider) tokenRewriter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != mockoidc.TokenEndpoint || p.rewriteIDToken == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if tok, ok := body["id_token"].(string); ok {
				body["id_token"] = p.rewriteIDToken(tok)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(body)
	})
}

func (p *provider) config() OIDCConfig {
	return OIDCConfig{
		Issuer: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		RedirectURL: testRedirectURL,
	}
}

func newTestOIDC(t *testing.T, cfg OIDCConfig, now func() time.Time) *OIDC {
	t.Helper()
	o, err := NewOIDC(context.Background(), cfg, testStateKey, true, now)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return o
}

// user is a mockoidc user whose ID token claims a test can change: mutate
// edits the standard claims, extra adds or (with a nil value) removes others.
type user struct {
	*mockoidc.MockUser
	mutate func(*mockoidc.IDTokenClaims)
	extra  map[string]any
}

func (u user) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.mutate != nil {
		u.mutate(base)
	}
	c, err := u.MockUser.Claims(scope, base)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m jwt.MapClaims
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range u.extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m, nil
}

func alice() user {
	return user{MockUser: &mockoidc.MockUser{
		Subject: "alice-sub", Email: "Alice.Martin@Example.ORG", EmailVerified: true,
		PreferredUsername: "alice", Groups: []string{"data-team", "admins"},
	}, extra: map[string]any{"name": "Alice Martin"}}
}

// login is one browser going through the flow: Begin, the provider's
// authorize endpoint, and the callback request ready for Finish.
type login struct {
	authURL  *url.URL
	cookie   *http.Cookie
	callback *http.Request
}

func begin(t *testing.T, o *OIDC, next string) login {
	t.Helper()
	rec := httptest.NewRecorder()
	u, err := o.Begin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), next)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	authURL, err := url.Parse(u)
	if err != nil {
		t.Fatalf("Begin returned %q: %v", u, err)
	}
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == StateCookieName {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("Begin set no %s cookie", StateCookieName)
	}
	return login{authURL: authURL, cookie: cookie}
}

// authorize follows the provider's authorize endpoint and builds the
// callback request the browser would send, with the state cookie.
func (l login) authorize(t *testing.T) login {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(l.authURL.String())
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize: status %d, want 302: %s", resp.StatusCode, b)
	}
	l.callback = httptest.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil)
	l.callback.AddCookie(&http.Cookie{Name: l.cookie.Name, Value: l.cookie.Value})
	return l
}

func finish(o *OIDC, req *http.Request) (Identity, string, *http.Response, error) {
	rec := httptest.NewRecorder()
	id, next, err := o.Finish(rec, req)
	return id, next, rec.Result(), err
}

func TestOIDCLogin(t *testing.T) {
	p := newProvider(t)
	p.QueueUser(alice())
	o := newTestOIDC(t, p.config(), nil)

	l := begin(t, o, "/hub/namespaces/alice-martin?tab=servers")
	checkStateCookie(t, l.cookie)
	q := l.authURL.Query()
	for k, want := range map[string]string{
		"code_challenge_method": "S256", "response_type": "code", "client_id": p.ClientID,
		"redirect_uri": testRedirectURL, "scope": "openid email profile groups",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("auth URL %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("auth URL has no %s", k)
		}
	}
	if q.Has("code_verifier") {
		t.Error("auth URL reveals the PKCE verifier")
	}

	id, next, resp, err := finish(o, l.authorize(t).callback)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := Identity{
		UserID: "alice.martin@example.org", Name: "Alice Martin", Email: "alice.martin@example.org",
		Groups: []string{"data-team", "admins"},
	}
	if !identityEqual(id, want) {
		t.Errorf("Finish identity = %+v, want %+v", id, want)
	}
	if next != "/hub/namespaces/alice-martin?tab=servers" {
		t.Errorf("Finish next = %q, want the path given to Begin", next)
	}
	checkStateCleared(t, resp)
}

func identityEqual(a, b Identity) bool {
	return a.UserID == b.UserID && a.Name == b.Name && a.Email == b.Email &&
		a.Namespace == b.Namespace && slices.Equal(a.Groups, b.Groups)
}

func checkStateCookie(t *testing.T, c *http.Cookie) {
	t.Helper()
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/oauth2/" {
		t.Errorf("state cookie HttpOnly=%v Secure=%v SameSite=%v Path=%q, want true true Lax /oauth2/",
			c.HttpOnly, c.Secure, c.SameSite, c.Path)
	}
	if c.MaxAge != 600 {
		t.Errorf("state cookie MaxAge = %d, want 600", c.MaxAge)
	}
	if strings.Contains(c.Value, "/hub/") {
		t.Errorf("state cookie %q shows its content, want it sealed", c.Value)
	}
}

func checkStateCleared(t *testing.T, resp *http.Response) {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == StateCookieName && c.MaxAge < 0 && c.Path == "/oauth2/" {
			return
		}
	}
	t.Errorf("Finish did not clear the %s cookie", StateCookieName)
}

func TestOIDCNextIsLocal(t *testing.T) {
	for _, next := range []string{"https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""} {
		t.Run(next, func(t *testing.T) {
			p := newProvider(t)
			o := newTestOIDC(t, p.config(), nil)
			_, got, _, err := finish(o, begin(t, o, next).authorize(t).callback)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if got != "/" {
				t.Errorf("Finish next after Begin(next=%q) = %q, want /", next, got)
			}
		})
	}
}

// A case of TestOIDCRejects: how the provider answers, how the callback
// request differs from the browser's, and the error Finish must return.
type rejectCase struct {
	name     string
	user     user                            // zero: alice
	cfg      func(*OIDCConfig)               // changes spawnhub's config
	rewrite  func(string) string             // changes the ID token in transit
	callback func(*testing.T, *http.Request) // changes the callback request
	clock    time.Duration                   // how far spawnhub's clock moves after Begin
	want     error
}

func withClaims(mutate func(*mockoidc.IDTokenClaims)) user {
	u := alice()
	u.mutate = mutate
	return u
}

func withExtra(extra map[string]any) user {
	u := alice()
	for k, v := range extra {
		u.extra[k] = v
	}
	return u
}

func TestOIDCRejects(t *testing.T) {
	for _, tt := range []rejectCase{
		{name: "wrong state", want: ErrLoginState, callback: setQuery("state", "forged")},
		{name: "no state", want: ErrLoginState, callback: setQuery("state", "")},
		{name: "no state cookie", want: ErrLoginState, callback: func(_ *testing.T, r *http.Request) { r.Header.Del("Cookie") }},
		{name: "tampered state cookie", want: ErrLoginState, callback: tamperCookie},
		{name: "state cookie from another key", want: ErrLoginState, callback: foreignCookie},
		{name: "state expired", want: ErrLoginState, clock: loginTTL + time.Second},
		{name: "wrong nonce", want: ErrLoginToken, user: withClaims(func(c *mockoidc.IDTokenClaims) { c.Nonce = "other" })},
		{name: "no nonce", want: ErrLoginToken, user: withClaims(func(c *mockoidc.IDTokenClaims) { c.Nonce = "" })},
		{name: "another audience", want: ErrLoginToken, user: withClaims(func(c *mockoidc.IDTokenClaims) {
			c.Audience = jwt.ClaimStrings{"another-client"}
		})},
		{name: "another issuer", want: ErrLoginToken, user: withClaims(func(c *mockoidc.IDTokenClaims) {
			c.Issuer = "http://127.0.0.1:1/oidc"
		})},
		{name: "expired token", want: ErrLoginToken, user: withClaims(func(c *mockoidc.IDTokenClaims) {
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
		})},
		{name: "tampered token", want: ErrLoginToken, rewrite: tamperPayload},
		{name: "alg none token", want: ErrLoginToken, rewrite: algNone},
		{name: "no id token", want: ErrLoginToken, rewrite: func(string) string { return "" }},
		{name: "domain not allowed", want: ErrLoginDenied, cfg: func(c *OIDCConfig) { c.AllowedDomains = []string{"example.com"} }},
		{name: "no email", want: ErrLoginDenied, cfg: func(c *OIDCConfig) { c.EmailClaims = []string{"upn"} }},
		{name: "email unverified", want: ErrLoginDenied, cfg: func(c *OIDCConfig) { c.EmailClaims = []string{"email"} },
			user: withExtra(map[string]any{"email_verified": false})},
		{name: "provider denied", want: ErrLoginDenied, callback: providerAnswer("access_denied")},
		{name: "provider error", want: ErrLoginProvider, callback: providerAnswer("server_error")},
		{name: "no code", want: ErrLoginProvider, callback: setQuery("code", "")},
		{name: "unknown code", want: ErrLoginProvider, callback: setQuery("code", "forged")},
	} {
		t.Run(tt.name, func(t *testing.T) { testReject(t, tt) })
	}
}

func testReject(t *testing.T, tt rejectCase) {
	p := newProvider(t)
	p.rewriteIDToken = tt.rewrite
	u := tt.user
	if u.MockUser == nil {
		u = alice()
	}
	p.QueueUser(u)
	cfg := p.config()
	if tt.cfg != nil {
		tt.cfg(&cfg)
	}
	now := time.Now()
	o := newTestOIDC(t, cfg, func() time.Time { return now })
	l := begin(t, o, "/next").authorize(t)
	now = now.Add(tt.clock)
	if tt.callback != nil {
		tt.callback(t, l.callback)
	}
	id, next, resp, err := finish(o, l.callback)
	t.Logf("Finish error: %v", err)
	if !errors.Is(err, tt.want) {
		t.Fatalf("Finish error = %v, want %v", err, tt.want)
	}
	if code := l.callback.URL.Query().Get("code"); len(code) > 3 && strings.Contains(err.Error(), code) {
		t.Errorf("Finish error %q shows the authorization code", err)
	}
	if id.UserID != "" || next != "" {
		t.Errorf("Finish returned identity %q and next %q with an error, want none", id.UserID, next)
	}
	checkStateCleared(t, resp)
}

func setQuery(key, value string) func(*testing.T, *http.Request) {
	return func(_ *testing.T, r *http.Request) {
		q := r.URL.Query()
		q.Set(key, value)
		r.URL.RawQuery = q.Encode()
	}
}

func providerAnswer(code string) func(*testing.T, *http.Request) {
	return func(_ *testing.T, r *http.Request) {
		q := url.Values{"state": {r.URL.Query().Get("state")}, "error": {code}, "error_description": {"no\nway"}}
		r.URL.RawQuery = q.Encode()
	}
}

// tamperCookie flips one bit of the sealed state.
func tamperCookie(t *testing.T, r *http.Request) {
	c, err := r.Cookie(StateCookieName)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 1
	replaceCookie(r, base64.RawURLEncoding.EncodeToString(raw))
}

// foreignCookie replaces the state with one sealed by another key that
// carries the same state, so only the key differs.
func foreignCookie(t *testing.T, r *http.Request) {
	other, err := newStateSealer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	v, err := other.seal(loginState{
		State: r.URL.Query().Get("state"), Nonce: "n", Verifier: "v", Next: "/",
		Expires: time.Now().Add(time.Hour).Unix(),
	})
	if err != nil {
		t.Fatal(err)
	}
	replaceCookie(r, v)
}

func replaceCookie(r *http.Request, value string) {
	r.Header.Del("Cookie")
	r.AddCookie(&http.Cookie{Name: StateCookieName, Value: value})
}

// tamperPayload changes the email in a signed ID token, keeping the
// signature.
func tamperPayload(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = bytes.ReplaceAll(payload, []byte("Alice.Martin@"), []byte("Admin.Evilx@"))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// algNone re-issues the token's claims unsigned, with alg "none".
func algNone(tok string) string {
	parts := strings.Split(tok, ".")
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + parts[1] + "."
}

func TestNewOIDCConfigErrors(t *testing.T) {
	_, err := NewOIDC(context.Background(), OIDCConfig{}, testStateKey, false, nil)
	for _, want := range []string{"issuer", "clientID", "redirectURL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewOIDC(empty config) error = %v, want it to mention %s", err, want)
		}
	}
	p := newProvider(t)
	if _, err := NewOIDC(context.Background(), p.config(), []byte("short"), false, nil); err == nil {
		t.Error("NewOIDC with a 5-byte state key: no error, want one")
	}
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
