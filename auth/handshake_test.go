package auth

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store/memory"
)

// handshakeFixture is a deployment with hub https://hub.example.org and
// workspaces on https://{ns}.nb.example.org, on the in-memory store.
type handshakeFixture struct {
	st     *memory.Store
	signer *Signer
	hs     *Handshake
	authn  *Authenticator
	alice  Identity // signed in on the hub
	hubJWT string
}

func newHandshakeFixture(t *testing.T) handshakeFixture {
	t.Helper()
	st := memory.New()
	signer := mustSigner(t, []Key{keyA}, nil)
	o := mustOrigins(t, "https://hub.example.org", "https://{ns}.nb.example.org", false, false)
	f := handshakeFixture{st: st, signer: signer, hs: NewHandshake(signer, st, o)}
	f.authn = NewAuthenticator(signer, st, NewPolicy(nil, nil, st), Cookies{Secure: true}, slog.New(slog.DiscardHandler))
	var err error
	f.hubJWT, f.alice, _, err = signer.Issue(Identity{UserID: "alice", Namespace: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// redeemURL follows Begin's callback URL as the workspace origin would.
func (f handshakeFixture) redeem(t *testing.T, callback, host string) (string, error) {
	t.Helper()
	u, err := url.Parse(callback)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := f.hs.Redeem(t.Context(), u.Query().Get("code"), host)
	return token, err
}

func TestHandshake(t *testing.T) {
	f := newHandshakeFixture(t)
	ctx := t.Context()
	callback, err := f.hs.Begin(ctx, f.alice, "alice", "/notebook/alice/lab/tree?x=1", "st")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(callback)
	if u.Scheme+"://"+u.Host+u.Path != "https://alice.nb.example.org"+CallbackPath ||
		u.Query().Get("next") != "/notebook/alice/lab/tree?x=1" || u.Query().Get("state") != "st" || len(u.Query().Get("code")) < 20 {
		t.Fatalf("Begin = %s, want alice's callback with code, next and state", callback)
	}
	token, err := f.redeem(t, callback, "alice.nb.example.org")
	if err != nil {
		t.Fatalf("Redeem on alice's origin: %v", err)
	}
	id, _, err := f.signer.Verify(token)
	if err != nil || id.Audience != "alice.nb.example.org" || id.SessionID != f.alice.SessionID || id.UserID != "alice" {
		t.Fatalf("workspace session = %+v (%v), want alice's, for her origin, with the hub session's id", id, err)
	}
	if _, err := f.redeem(t, callback, "alice.nb.example.org"); err == nil {
		t.Error("a code was redeemed twice")
	}

	other, _ := f.hs.Begin(ctx, f.alice, "alice", "/notebook/alice/lab/", "st")
	if _, err := f.redeem(t, other, "bob.nb.example.org"); err == nil {
		t.Error("a code minted for alice's origin was redeemed on bob's")
	}
	if _, err := f.redeem(t, other, "alice.nb.example.org"); err == nil {
		t.Error("a code tried on another origin stayed redeemable")
	}
	if _, _, err := f.hs.Redeem(ctx, "", "alice.nb.example.org"); err == nil {
		t.Error("an empty code was redeemed")
	}
	token2 := Identity{UserID: "alice", TokenID: "t", TokenHash: "h"}
	if _, err := f.hs.Begin(ctx, token2, "alice", "/notebook/alice/lab/", ""); err == nil {
		t.Error("an API token got a workspace cookie")
	}
}

func TestParseNext(t *testing.T) {
	f := newHandshakeFixture(t)
	for _, tt := range []struct {
		next   string
		wantNS string // "" = refused
	}{
		{"https://alice.nb.example.org/notebook/alice/lab/tree?a=1", "alice"},
		{"https://alice.nb.example.org/notebook/bob/lab/", ""},
		{"https://alice.nb.example.org/api/v1/tokens", ""},
		{"https://alice.nb.example.org/_spawnhub/callback", ""},
		{"http://alice.nb.example.org/notebook/alice/lab/", ""},
		{"https://hub.example.org/notebook/alice/lab/", ""},
		{"https://evil.example/notebook/alice/lab/", ""},
		{"https://x@alice.nb.example.org/notebook/alice/lab/", ""},
		{"/notebook/alice/lab/", ""},
		{"javascript:alert(1)", ""},
		{"https://alice.nb.example.org/notebook/Alice/lab/", ""},
	} {
		ns, _, err := f.hs.ParseNext(tt.next)
		if (err == nil) != (tt.wantNS != "") || ns != tt.wantNS {
			t.Errorf("ParseNext(%q) = %q, %v; want %q", tt.next, ns, err, tt.wantNS)
		}
	}
}

// TestWorkspaceSessionsStayOnTheirOrigin: a workspace session works only
// on its own origin and never as the hub's session; logging out of the hub
// ends it.
func TestWorkspaceSessionsStayOnTheirOrigin(t *testing.T) {
	f := newHandshakeFixture(t)
	callback, _ := f.hs.Begin(t.Context(), f.alice, "alice", "/notebook/alice/lab/", "")
	wsJWT, err := f.redeem(t, callback, "alice.nb.example.org")
	if err != nil {
		t.Fatal(err)
	}
	req := func(cookies ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for i := 0; i+1 < len(cookies); i += 2 {
			r.AddCookie(&http.Cookie{Name: cookies[i], Value: cookies[i+1]})
		}
		return r
	}
	const hubName, wsName = "__Host-spawnhub_session", "__Host-spawnhub_workspace"
	check := func(what string, err error, wantOK bool) {
		t.Helper()
		if (err == nil) != wantOK {
			t.Errorf("%s: err = %v, want ok = %v", what, err, wantOK)
		}
	}
	_, err = f.authn.Authenticate(req(hubName, f.hubJWT))
	check("hub session on the hub", err, true)
	_, err = f.authn.AuthenticateWorkspace(req(wsName, wsJWT), "alice.nb.example.org")
	check("workspace session on its origin", err, true)
	_, err = f.authn.AuthenticateWorkspace(req(wsName, wsJWT), "bob.nb.example.org")
	check("workspace session on another origin", err, false)
	_, err = f.authn.Authenticate(req(hubName, wsJWT))
	check("workspace session as the hub's cookie", err, false)
	_, err = f.authn.AuthenticateWorkspace(req(wsName, f.hubJWT), "alice.nb.example.org")
	check("hub session as a workspace cookie", err, false)
	_, err = f.authn.Authenticate(req("spawnhub_session", f.hubJWT))
	check("hub session under the name without __Host- behind TLS", err, false)
	_, err = f.authn.Authenticate(req(hubName, f.hubJWT, hubName, f.hubJWT))
	check("two hub cookies (one tossed)", err, false)

	if err := f.st.RevokeSession(t.Context(), f.alice.SessionID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.authn.dropSession(f.alice.SessionID) // what Run does on the revocation message
	_, err = f.authn.AuthenticateWorkspace(req(wsName, wsJWT), "alice.nb.example.org")
	check("workspace session after the hub session was revoked", err, false)
}

func TestStillValid(t *testing.T) {
	f := newHandshakeFixture(t)
	ctx := t.Context()
	alice := f.alice
	alice.Expires = time.Now().Add(time.Hour)
	if ok, err := f.authn.StillValid(ctx, alice); !ok || err != nil {
		t.Fatalf("StillValid(a live session) = %v, %v", ok, err)
	}
	expired := alice
	expired.Expires = time.Now().Add(-time.Second)
	if ok, _ := f.authn.StillValid(ctx, expired); ok {
		t.Error("StillValid(an expired session) = true")
	}
	if ok, _ := f.authn.StillValid(ctx, Identity{UserID: "alice", TokenHash: "gone"}); ok {
		t.Error("StillValid(a deleted token) = true")
	}
	if err := f.st.RevokeSession(ctx, alice.SessionID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.authn.StillValid(ctx, alice); ok {
		t.Error("StillValid(a revoked session) = true")
	}
}
