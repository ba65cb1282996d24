package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signingMethod is the one algorithm sessions are signed and verified with;
// tokens claiming any other (including "none") are rejected.
var signingMethod = jwt.SigningMethodHS256

// Key is one session signing key. Keys rotate: the first key signs, every key
// verifies, so sessions signed with a retired key keep working until they
// expire.
type Key struct {
	ID     string
	Secret []byte
}

// sessionClaims is what a session cookie carries.
type sessionClaims struct {
	Name      string   `json:"name,omitempty"`
	Email     string   `json:"email,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	Namespace string   `json:"ns"`
	jwt.RegisteredClaims
}

// Signer issues and verifies session tokens.
type Signer struct {
	keys   []Key
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewSigner signs with keys[0] and verifies with any of keys. ttl is how long
// a session lasts without use.
func NewSigner(keys []Key, ttl time.Duration, now func() time.Time) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("session signer: no keys")
	}
	for _, k := range keys {
		if len(k.Secret) < 32 {
			return nil, fmt.Errorf("session key %q: at least 32 bytes needed, got %d", k.ID, len(k.Secret))
		}
	}
	if now == nil {
		now = time.Now
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{signingMethod.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(now),
		jwt.WithLeeway(5*time.Second),
	)
	return &Signer{keys: keys, ttl: ttl, now: now, parser: p}, nil
}

// TTL is how long a fresh session lasts.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Issue signs a new session for id, with a fresh session id unless id has
// one (renewal keeps it, so that revoking it still works). A session for a
// workspace origin carries that origin's host as its audience and the hub
// session's id, so that logging out of the hub ends it too.
func (s *Signer) Issue(id Identity) (token string, claims Identity, expires time.Time, err error) {
	if id.SessionID == "" {
		id.SessionID = randomID()
	}
	now := s.now()
	expires = now.Add(s.ttl)
	c := sessionClaims{
		Name: id.Name, Email: id.Email, Groups: id.Groups, Namespace: id.Namespace,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   id.UserID,
			ID:        id.SessionID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expires),
		},
	}
	if id.Audience != "" {
		c.Audience = jwt.ClaimStrings{id.Audience}
	}
	t := jwt.NewWithClaims(signingMethod, c)
	t.Header["kid"] = s.keys[0].ID
	token, err = t.SignedString(s.keys[0].Secret)
	if err != nil {
		return "", Identity{}, time.Time{}, fmt.Errorf("sign session: %w", err)
	}
	return token, id, expires, nil
}

// Verify checks a session token's signature, algorithm and expiry, and
// returns who it is for and when it expires.
func (s *Signer) Verify(token string) (Identity, time.Time, error) {
	var c sessionClaims
	_, err := s.parser.ParseWithClaims(token, &c, s.keyFor)
	if err != nil || c.Subject == "" || c.ID == "" || c.ExpiresAt == nil || len(c.Audience) > 1 {
		return Identity{}, time.Time{}, ErrUnauthenticated
	}
	id := Identity{
		UserID: c.Subject, Name: c.Name, Email: c.Email, Groups: c.Groups,
		Namespace: c.Namespace, SessionID: c.ID,
	}
	if len(c.Audience) == 1 {
		id.Audience = c.Audience[0]
	}
	return id, c.ExpiresAt.Time, nil
}

func (s *Signer) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	for _, k := range s.keys {
		if k.ID == kid {
			return k.Secret, nil
		}
	}
	return nil, fmt.Errorf("unknown session key %q", kid)
}

// randomID is 130 random bits as 26 base32 letters and digits: session
// ids, login state, sign-in codes. Every random id of auth comes from it.
func randomID() string { return rand.Text() }

// randomLower is a random id of n lower-case letters and digits (n ≤ 26):
// token ids, lease holders.
func randomLower(n int) string { return strings.ToLower(randomID()[:n]) }

// Renew re-issues a session past half its life, so that people who keep
// working stay signed in (sliding expiry), and sets the new cookie (the
// hub's or the workspace origin's, by the session's audience) on w.
// The session id is kept, so that a logout still revokes it. Sessions with
// more than half their life left, and API tokens, are left alone.
func (s *Signer) Renew(w http.ResponseWriter, id Identity, cookies Cookies) error {
	if id.SessionID == "" || id.Expires.Sub(s.now()) > s.ttl/2 {
		return nil
	}
	token, _, exp, err := s.Issue(id)
	if err != nil {
		return err
	}
	cookies.Set(w, id.Audience, token, exp)
	return nil
}
