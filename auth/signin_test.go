package auth

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// revocations records when each revoked session's revocation ends.
type revocations struct {
	*memory.Store
	until map[string]time.Time
}

func (r *revocations) RevokeSession(ctx context.Context, id string, until time.Time) error {
	r.until[id] = until
	return r.Store.RevokeSession(ctx, id, until)
}

func newTestSessions(t *testing.T, mapping map[string]string) (*Sessions, *revocations, *time.Time) {
	t.Helper()
	st := &revocations{Store: memory.New(), until: map[string]time.Time{}}
	t.Cleanup(func() { _ = st.Close() })
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	signer, err := NewSigner([]Key{{ID: "k", Secret: []byte(strings.Repeat("k", 32))}}, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return NewSessions(st, signer, Cookies{}, mapping), st, &now
}

// TestSignIn: signing in gives the user their namespace, records them
// (keeping when they first came and their language), and sets a session
// cookie that verifies as them.
func TestSignIn(t *testing.T) {
	s, st, now := newTestSessions(t, map[string]string{"jane@example.org": "team"})
	ctx := context.Background()
	first := *now
	rec := httptest.NewRecorder()
	id, err := s.SignIn(ctx, rec, Identity{UserID: "jane@example.org", Name: "Jane", Email: "jane@example.org"})
	if err != nil || id.Namespace != "team" || id.SessionID == "" {
		t.Fatalf("SignIn = %+v, %v; want the mapped namespace and a session", id, err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v, want the session cookie", cookies)
	}
	if got, _, err := s.signer.Verify(cookies[0].Value); err != nil || got.UserID != "jane@example.org" || got.Namespace != "team" || got.SessionID != id.SessionID {
		t.Errorf("cookie verifies as %+v, %v; want jane's session in team", got, err)
	}
	u, _ := st.GetUser(ctx, "jane@example.org")
	u.Language = "fr"
	_ = st.PutUser(ctx, u)
	*now = now.Add(time.Hour)
	if _, err := s.SignIn(ctx, httptest.NewRecorder(), Identity{UserID: "jane@example.org", Name: "Jane D."}); err != nil {
		t.Fatal(err)
	}
	u, _ = st.GetUser(ctx, "jane@example.org")
	if want := (store.User{ID: "jane@example.org", Name: "Jane D.", Namespace: "team", Language: "fr", CreatedAt: first, LastLogin: *now}); u.ID != want.ID ||
		u.Name != want.Name || u.Namespace != want.Namespace || u.Language != want.Language || !u.CreatedAt.Equal(first) || !u.LastLogin.Equal(*now) {
		t.Errorf("user after a second login = %+v, want %+v", u, want)
	}
}

// TestSignOut: the session is revoked until a minute past its expiry (a
// session's lifetime from now when the expiry is unknown), and the cookie
// cleared; without a session only the cookie is.
func TestSignOut(t *testing.T) {
	s, st, now := newTestSessions(t, nil)
	ctx := context.Background()
	exp := now.Add(20 * time.Minute)
	for _, tt := range []struct {
		id   Identity
		want time.Time
	}{
		{Identity{UserID: "a", SessionID: "s1", Expires: exp}, exp.Add(time.Minute)},
		{Identity{UserID: "a", SessionID: "s2"}, now.Add(time.Hour + time.Minute)},
	} {
		rec := httptest.NewRecorder()
		if err := s.SignOut(ctx, rec, tt.id); err != nil {
			t.Fatal(err)
		}
		if got := st.until[tt.id.SessionID]; !got.Equal(tt.want) {
			t.Errorf("%s revoked until %v, want %v", tt.id.SessionID, got, tt.want)
		}
		if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
			t.Errorf("cookies after sign-out = %v, want the session cookie cleared", c)
		}
	}
	if err := s.SignOut(ctx, httptest.NewRecorder(), Identity{}); err != nil || len(st.until) != 2 {
		t.Errorf("sign-out without a session = %v, revocations %v; want none more", err, st.until)
	}
}

func TestDevIdentity(t *testing.T) {
	for _, tt := range []struct {
		in, user, email string
		ok              bool
	}{
		{" Alice ", "alice", "", true},
		{"Jane@Example.org", "jane@example.org", "jane@example.org", true},
		{"", "", "", false},
		{"two words", "", "", false},
		{"-dash", "", "", false},
		{strings.Repeat("a", 65), "", "", false},
	} {
		id, err := DevIdentity(tt.in)
		if (err == nil) != tt.ok || id.UserID != tt.user || id.Email != tt.email || (err != nil && !matchField(err, "username", "username.invalid")) {
			t.Errorf("DevIdentity(%q) = %+v, %v; want user %q email %q ok %v", tt.in, id, err, tt.user, tt.email, tt.ok)
		}
	}
}
