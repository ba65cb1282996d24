package auth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	keyA = Key{ID: "a", Secret: []byte(strings.Repeat("a", 32))}
	keyB = Key{ID: "b", Secret: []byte(strings.Repeat("b", 32))}
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustSigner(t *testing.T, keys []Key, now func() time.Time) *Signer {
	t.Helper()
	s, err := NewSigner(keys, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionRoundTrip(t *testing.T) {
	s := mustSigner(t, []Key{keyA}, nil)
	tok, issued, _, err := s.Issue(Identity{UserID: "alice", Namespace: "alice", Groups: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Verify(tok)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if got.UserID != "alice" || got.Namespace != "alice" || got.SessionID != issued.SessionID || len(got.Groups) != 1 {
		t.Errorf("Verify = %+v, want alice with session %s", got, issued.SessionID)
	}
}

func TestSessionKeyRotation(t *testing.T) {
	old := mustSigner(t, []Key{keyA}, nil)
	tok, _, _, _ := old.Issue(Identity{UserID: "alice"})
	rotated := mustSigner(t, []Key{keyB, keyA}, nil)
	if _, _, err := rotated.Verify(tok); err != nil {
		t.Errorf("token signed with retired key: Verify = %v, want ok", err)
	}
	retired := mustSigner(t, []Key{keyB}, nil)
	if _, _, err := retired.Verify(tok); err == nil {
		t.Error("token signed with a removed key verified")
	}
}

func TestSessionRejects(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := mustSigner(t, []Key{keyA}, fixedClock(now))
	good, _, _, _ := s.Issue(Identity{UserID: "alice"})
	expired, _, _, _ := mustSigner(t, []Key{keyA}, fixedClock(now.Add(-2*time.Hour))).Issue(Identity{UserID: "alice"})
	parts := strings.Split(good, ".")
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","jti":"x","exp":9999999999,"iat":1}`)) + "." + parts[2]
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "alice", "jti": "x", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512 := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": "alice", "jti": "x", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	hs512.Header["kid"] = "a"
	hs512Tok, _ := hs512.SignedString(keyA.Secret)
	other, _, _, _ := mustSigner(t, []Key{{ID: "a", Secret: []byte(strings.Repeat("z", 32))}}, fixedClock(now)).Issue(Identity{UserID: "alice"})

	for _, tt := range []struct{ name, token string }{
		{"empty", ""},
		{"garbage", "not-a-jwt"},
		{"tampered payload", tamperedPayload},
		{"tampered signature", good[:len(good)-2] + "xx"},
		{"expired", expired},
		{"alg none", noneTok},
		{"other algorithm", hs512Tok},
		{"other secret, same kid", other},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if id, _, err := s.Verify(tt.token); err == nil {
				t.Errorf("Verify(%s) = %+v, want error", tt.name, id)
			}
		})
	}
}

func TestNewSignerRejectsShortKeys(t *testing.T) {
	if _, err := NewSigner([]Key{{ID: "x", Secret: []byte("short")}}, time.Hour, nil); err == nil {
		t.Error("NewSigner accepted a 5-byte key")
	}
	if _, err := NewSigner(nil, time.Hour, nil); err == nil {
		t.Error("NewSigner accepted no keys")
	}
}

// TestRenew: a session past half its life gets a fresh cookie with the
// same session id (so logout still revokes it); a young one and an API
// token do not.
func TestRenew(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s, err := NewSigner([]Key{keyA}, 12*time.Hour, fixedClock(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		id         Identity
		wantRenew  bool
		wantCookie string
	}{
		{"young session", Identity{UserID: "alice", SessionID: "sid", Expires: now.Add(11 * time.Hour)}, false, ""},
		{"old session", Identity{UserID: "alice", SessionID: "sid", Expires: now.Add(5 * time.Hour)}, true, "__Host-spawnhub_session"},
		{"old workspace session", Identity{UserID: "alice", SessionID: "sid", Audience: "bob.nb.example.org", Expires: now.Add(5 * time.Hour)}, true, "__Host-spawnhub_workspace"},
		{"API token", Identity{UserID: "alice", TokenID: "tok", Expires: now.Add(time.Hour)}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := s.Renew(rec, tt.id, Cookies{Secure: true}); err != nil {
				t.Fatal(err)
			}
			cookies := rec.Result().Cookies()
			if renewed := len(cookies) == 1; renewed != tt.wantRenew {
				t.Fatalf("renewed = %v, want %v", renewed, tt.wantRenew)
			}
			if !tt.wantRenew {
				return
			}
			if c := cookies[0]; !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Name != tt.wantCookie || c.Domain != "" || c.Path != "/" {
				t.Errorf("renewed cookie %+v, want %s, host-only on /, HttpOnly, Secure, SameSite=Lax", c, tt.wantCookie)
			}
			id, exp, err := s.Verify(cookies[0].Value)
			if err != nil || id.SessionID != "sid" || id.Audience != tt.id.Audience || !exp.Equal(now.Add(12*time.Hour)) {
				t.Errorf("renewed session = %+v expiring %v (%v), want sid for %q for 12h more", id, exp, err, tt.id.Audience)
			}
		})
	}
}
