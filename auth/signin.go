package auth

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// loginNamePattern is what the development login accepts as a user name,
// and what a contributor may be named by besides an email.
var loginNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// revokeMargin keeps a revocation a little past the session's expiry, for
// clocks that disagree.
const revokeMargin = time.Minute

// SessionStore is what signing in and out writes.
type SessionStore interface {
	NamespaceStore
	GetUser(ctx context.Context, id string) (store.User, error)
	PutUser(ctx context.Context, u store.User) error
	RevokeSession(ctx context.Context, id string, until time.Time) error
}

// Sessions signs people in (records the user, gives them a namespace,
// issues a session cookie), keeps the sessions of people who keep working
// alive, and signs them out (revokes the session on every replica).
type Sessions struct {
	store   SessionStore
	signer  *Signer
	cookies Cookies
	mapping map[string]string // namespaces assigned by user id
	now     func() time.Time
}

// NewSessions signs people in with s and sets the hub's cookies as c
// says. mapping assigns namespaces by user id (see EnsureNamespace).
func NewSessions(st SessionStore, s *Signer, c Cookies, mapping map[string]string) *Sessions {
	return &Sessions{store: st, signer: s, cookies: c, mapping: mapping, now: s.now}
}

// DevIdentity is who the development login's user name makes the caller:
// lower-cased, 1 to 64 letters, digits, dots, dashes or @; an email when
// it holds an @.
func DevIdentity(username string) (Identity, error) {
	name := strings.ToLower(strings.TrimSpace(username))
	if !loginNamePattern.MatchString(name) {
		return Identity{}, badField("username", "username.invalid", nil)
	}
	id := Identity{UserID: name, Name: name}
	if strings.Contains(name, "@") {
		id.Email = name
	}
	return id, nil
}

// SignIn records the user, makes sure they own a namespace, and sets a
// fresh hub session cookie on w. It returns the session's identity.
func (s *Sessions) SignIn(ctx context.Context, w http.ResponseWriter, id Identity) (Identity, error) {
	now := s.now()
	ns, err := EnsureNamespace(ctx, s.store, id.UserID, s.mapping, now)
	if err != nil {
		return Identity{}, err
	}
	id.Namespace = ns
	if err := s.recordUser(ctx, id, now); err != nil {
		return Identity{}, err
	}
	token, id, exp, err := s.signer.Issue(id)
	if err != nil {
		return Identity{}, err
	}
	s.cookies.Set(w, "", token, exp)
	return id, nil
}

// recordUser stores the user as of this login, keeping when they first
// came and the language they chose.
func (s *Sessions) recordUser(ctx context.Context, id Identity, now time.Time) error {
	u := store.User{ID: id.UserID, Name: id.Name, Email: id.Email, Groups: id.Groups, Namespace: id.Namespace, CreatedAt: now, LastLogin: now}
	if old, err := s.store.GetUser(ctx, id.UserID); err == nil {
		u.CreatedAt, u.Language = old.CreatedAt, old.Language
	}
	if err := s.store.PutUser(ctx, u); err != nil {
		return fmt.Errorf("user %s: %w", id.UserID, err)
	}
	return nil
}

// Renew re-issues a session past half its life and sets the new cookie
// on w (Signer.Renew).
func (s *Sessions) Renew(w http.ResponseWriter, id Identity) error {
	return s.signer.Renew(w, id, s.cookies)
}

// SignOut revokes the caller's session, if they have one, on every
// replica, which ends the sessions of every workspace origin it signed in
// to, and clears the hub's cookie on w.
func (s *Sessions) SignOut(ctx context.Context, w http.ResponseWriter, id Identity) error {
	if id.SessionID != "" {
		until := id.Expires
		if until.IsZero() {
			until = s.now().Add(s.signer.TTL())
		}
		if err := s.store.RevokeSession(ctx, id.SessionID, until.Add(revokeMargin)); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
	}
	s.cookies.Clear(w, "")
	return nil
}
