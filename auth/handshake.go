package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// CallbackPath is where a workspace origin redeems a sign-in code.
const CallbackPath = "/_spawnhub/callback"

// AuthorizePath is the hub page that starts a workspace origin's sign-in.
const AuthorizePath = "/authorize"

// codeTTL is how long a sign-in code may wait to be redeemed: one redirect.
const codeTTL = 30 * time.Second

// ErrBadNext means a sign-in handshake was asked to return somewhere that
// is not a workspace of a workspace origin.
var ErrBadNext = errors.New("auth: next is not a workspace URL")

// CodeStore keeps the handshake's one-time codes (store.CodeStore).
type CodeStore interface {
	PutCode(ctx context.Context, code, value string, ttl time.Duration) error
	TakeCode(ctx context.Context, code string) (string, error)
}

// Handshake gives a workspace origin a session of its own, since the hub's
// cookie never reaches it: the hub, which knows the user, mints a one-time
// code for one origin (Begin); that origin redeems it, once and within
// seconds, for its own host-only cookie (Redeem). The origin's session
// carries the hub session's id, so logging out of the hub, or revoking
// that session, ends it on every replica.
type Handshake struct {
	signer  *Signer
	codes   CodeStore
	origins *Origins
}

// NewHandshake returns the handshake of a deployment.
func NewHandshake(s *Signer, codes CodeStore, o *Origins) *Handshake {
	return &Handshake{signer: s, codes: codes, origins: o}
}

// ParseNext checks where a browser asked to go after signing in to a
// workspace origin: an absolute URL on a workspace origin, under
// /notebook/<ns>/ of that origin's namespace. It returns the namespace and
// the path with its query.
func (h *Handshake) ParseNext(next string) (ns, pathQuery string, err error) {
	u, err := url.Parse(next)
	if err != nil || u.User != nil || u.Fragment != "" || u.Scheme != h.origins.wsScheme {
		return "", "", ErrBadNext
	}
	place, hostNS := h.origins.Classify(u.Host)
	if place != PlaceWorkspace {
		return "", "", ErrBadNext
	}
	ns, ok := workspaceNamespace(u.EscapedPath())
	if !ok || (hostNS != "" && ns != hostNS) {
		return "", "", ErrBadNext
	}
	return ns, u.RequestURI(), nil
}

// workspaceNamespace is the <ns> of a /notebook/<ns>/… path.
func workspaceNamespace(escapedPath string) (string, bool) {
	rest, ok := strings.CutPrefix(escapedPath, store.WorkspacePrefix)
	if !ok {
		return "", false
	}
	ns, _, ok := strings.Cut(rest, "/")
	return ns, ok && validLabel(ns)
}

// Begin mints a code for id (a hub session) to sign in to namespace ns's
// workspace origin, and returns the callback URL that redeems it there and
// then goes to pathQuery; state is passed through for the origin to check.
func (h *Handshake) Begin(ctx context.Context, id Identity, ns, pathQuery, state string) (string, error) {
	if id.SessionID == "" || id.Audience != "" {
		return "", ErrUnauthenticated // API tokens need no cookie: they work on any origin
	}
	id.Audience = h.origins.WorkspaceHost(ns)
	token, _, _, err := h.signer.Issue(id)
	if err != nil {
		return "", err
	}
	code := randomID()
	if err := h.codes.PutCode(ctx, HashToken(code), token, codeTTL); err != nil {
		return "", fmt.Errorf("sign-in code: %w", err)
	}
	q := url.Values{"code": {code}, "next": {pathQuery}, "state": {state}}
	return h.origins.Workspace(ns) + CallbackPath + "?" + q.Encode(), nil
}

// Redeem takes a code on the workspace origin whose host is host and
// returns that origin's session token. A code is good once, for the origin
// it was minted for, for seconds.
func (h *Handshake) Redeem(ctx context.Context, code, host string) (token string, expires time.Time, err error) {
	if code == "" {
		return "", time.Time{}, ErrUnauthenticated
	}
	token, err = h.codes.TakeCode(ctx, HashToken(code))
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, ErrUnauthenticated
	}
	if err != nil {
		return "", time.Time{}, err
	}
	id, exp, err := h.signer.Verify(token)
	if err != nil || id.Audience != NormalizeHost(h.origins.wsScheme, host) {
		return "", time.Time{}, ErrUnauthenticated
	}
	return token, exp, nil
}
