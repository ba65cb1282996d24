package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/spawnhub/spawnhub/store"
)

// CredentialStore is what the authenticator needs from the shared store.
type CredentialStore interface {
	TokenByHash(ctx context.Context, hash string) (store.Token, error)
	GetUser(ctx context.Context, id string) (store.User, error)
	IsSessionRevoked(ctx context.Context, id string) (bool, error)
	Subscribe(ctx context.Context, topic string) (<-chan string, error)
}

// recheckAfter bounds how long a verified credential is trusted from the
// cache; revocations normally arrive sooner through pub/sub.
const recheckAfter = time.Minute

// maxCached bounds the cache; past it the cache is emptied and refills.
const maxCached = 100_000

type cachedIdentity struct {
	id      Identity
	expires time.Time // credential expiry
	recheck time.Time // when to ask the store again
}

// Authenticator finds who sent a request, from the session cookie or an
// API token. Verified credentials are cached, so that the store is asked
// about a credential about once a minute, not once a request; revocations
// published by any replica drop cache entries at once.
type Authenticator struct {
	signer  *Signer
	cookies Cookies
	store   CredentialStore
	policy  *Policy
	now     func() time.Time
	log     *slog.Logger

	mu       sync.RWMutex
	cache    map[string]cachedIdentity // by raw credential
	onRevoke []func(sessionID, tokenHash string)
}

// NewAuthenticator returns an authenticator; call Run to receive
// revocations.
func NewAuthenticator(s *Signer, st CredentialStore, p *Policy, c Cookies, log *slog.Logger) *Authenticator {
	return &Authenticator{
		signer: s, cookies: c, store: st, policy: p, now: s.now, log: log.With("component", "auth"),
		cache: make(map[string]cachedIdentity),
	}
}

// Authenticate returns the caller of a request to the hub (its pages and
// API), from an API token or the hub's session cookie, or
// ErrUnauthenticated.
func (a *Authenticator) Authenticate(r *http.Request) (Identity, error) {
	return a.authenticate(r, a.cookies.Hub(), "")
}

// AuthenticateWorkspace returns the caller of a request to the workspace
// origin whose host is host (lower case, without a default port), from an
// API token or that origin's own session cookie. A session issued for
// another origin, or the hub's, is refused.
func (a *Authenticator) AuthenticateWorkspace(r *http.Request, host string) (Identity, error) {
	return a.authenticate(r, a.cookies.Workspace(), host)
}

// AuthenticateBearer returns the caller of a request that carries an API
// token, ignoring cookies: what the hub origin relays to workspaces.
func (a *Authenticator) AuthenticateBearer(r *http.Request) (Identity, error) {
	if raw := bearerToken(r); raw != "" {
		return a.lookup(r.Context(), raw, a.verifyBearer)
	}
	return Identity{}, ErrUnauthenticated
}

func (a *Authenticator) authenticate(r *http.Request, cookie, audience string) (Identity, error) {
	if raw := bearerToken(r); raw != "" {
		return a.lookup(r.Context(), raw, a.verifyBearer)
	}
	raw := sessionCookie(r, cookie)
	if raw == "" {
		return Identity{}, ErrUnauthenticated
	}
	id, err := a.lookup(r.Context(), raw, a.verifySession)
	if err == nil && id.Audience != audience {
		return Identity{}, ErrUnauthenticated
	}
	return id, err
}

func (a *Authenticator) lookup(ctx context.Context, raw string, verify func(context.Context, string) (cachedIdentity, error)) (Identity, error) {
	now := a.now()
	a.mu.RLock()
	c, ok := a.cache[raw]
	a.mu.RUnlock()
	if ok && now.Before(c.recheck) && now.Before(c.expires) {
		return c.id, nil
	}
	c, err := verify(ctx, raw)
	if err != nil {
		a.forget(raw)
		return Identity{}, err
	}
	c.recheck = now.Add(recheckAfter)
	a.remember(raw, c)
	return c.id, nil
}

func (a *Authenticator) verifySession(ctx context.Context, raw string) (cachedIdentity, error) {
	id, exp, err := a.signer.Verify(raw)
	if err != nil {
		return cachedIdentity{}, err
	}
	revoked, err := a.store.IsSessionRevoked(ctx, id.SessionID)
	if err != nil {
		return cachedIdentity{}, fmt.Errorf("check session: %w", err)
	}
	if revoked {
		return cachedIdentity{}, ErrUnauthenticated
	}
	id.Admin = a.policy.IsAdmin(id)
	id.Expires = exp
	return cachedIdentity{id: id, expires: exp}, nil
}

func (a *Authenticator) verifyBearer(ctx context.Context, raw string) (cachedIdentity, error) {
	if !looksLikeToken(raw) {
		return cachedIdentity{}, ErrUnauthenticated
	}
	hash := HashToken(raw)
	t, err := a.store.TokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return cachedIdentity{}, ErrUnauthenticated
	}
	if err != nil {
		return cachedIdentity{}, fmt.Errorf("check token: %w", err)
	}
	u, err := a.store.GetUser(ctx, t.User)
	if err != nil {
		return cachedIdentity{}, fmt.Errorf("token owner %s: %w", t.User, err)
	}
	id := Identity{
		UserID: u.ID, Name: u.Name, Email: u.Email, Groups: u.Groups,
		Namespace: u.Namespace, TokenID: t.ID, TokenHash: hash, Scopes: t.Scopes,
	}
	id.Admin = a.policy.IsAdmin(id) && id.HasScope(ScopeAdmin)
	id.Expires = t.ExpiresAt
	return cachedIdentity{id: id, expires: t.ExpiresAt}, nil
}

// StillValid asks the store whether id's credential still holds: its
// session not revoked, its token not deleted, neither expired. The proxy
// asks it for open websockets when revocations may have been missed (a
// resubscription after a broken connection).
func (a *Authenticator) StillValid(ctx context.Context, id Identity) (bool, error) {
	if !id.Expires.IsZero() && !a.now().Before(id.Expires) {
		return false, nil
	}
	switch {
	case id.TokenHash != "":
		_, err := a.store.TokenByHash(ctx, id.TokenHash)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	case id.SessionID != "":
		revoked, err := a.store.IsSessionRevoked(ctx, id.SessionID)
		return err == nil && !revoked, err
	}
	return false, nil
}

func (a *Authenticator) remember(raw string, c cachedIdentity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= maxCached {
		clear(a.cache)
	}
	a.cache[raw] = c
}

func (a *Authenticator) forget(raw string) {
	a.mu.Lock()
	delete(a.cache, raw)
	a.mu.Unlock()
}

// dropWhere removes the cached credentials matching; everything when match
// is nil.
func (a *Authenticator) dropWhere(match func(raw string, c cachedIdentity) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for raw, c := range a.cache {
		if match == nil || match(raw, c) {
			delete(a.cache, raw)
		}
	}
}

// Run drops cached credentials that any replica revokes, then tells the
// OnRevoke listeners, until ctx is done. A store that is down delays
// revocations (each credential is rechecked within recheckAfter anyway);
// it does not stop the replica.
func (a *Authenticator) Run(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error {
		store.Follow(ctx, a.store, store.TopicSessions, a.dropSession, store.FollowOptions{Logger: a.log})
		return nil
	})
	g.Go(func() error {
		store.Follow(ctx, a.store, store.TopicTokens, a.dropRevokedToken, store.FollowOptions{Logger: a.log})
		return nil
	})
	return g.Wait()
}

// OnRevoke registers fn to hear about every revoked session (by id) or
// API token (by hash), after the authenticator forgot it; both empty means
// any may have been revoked (a resync). The proxy closes the websockets
// opened with them. Register before Run.
func (a *Authenticator) OnRevoke(fn func(sessionID, tokenHash string)) {
	a.mu.Lock()
	a.onRevoke = append(a.onRevoke, fn)
	a.mu.Unlock()
}

// revoked tells the listeners.
func (a *Authenticator) revoked(sessionID, tokenHash string) {
	a.mu.RLock()
	listeners := a.onRevoke
	a.mu.RUnlock()
	for _, l := range listeners {
		l(sessionID, tokenHash)
	}
}

func (a *Authenticator) dropSession(sessionID string) {
	defer a.revoked(sessionID, "")
	if sessionID == "" { // resubscribed: anything may have been revoked meanwhile
		a.dropWhere(nil)
		return
	}
	a.dropWhere(func(_ string, c cachedIdentity) bool { return c.id.SessionID == sessionID })
}

func (a *Authenticator) dropRevokedToken(hash string) {
	defer a.revoked("", hash)
	if hash == "" {
		a.dropWhere(nil)
		return
	}
	a.dropWhere(func(_ string, c cachedIdentity) bool { return c.id.TokenHash == hash })
}
