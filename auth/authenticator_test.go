package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store/memory"
)

// firstSubscribeFails is the in-memory store whose first subscription to
// each topic fails (Redis down when the replica starts).
type firstSubscribeFails struct {
	*memory.Store
	mu     sync.Mutex
	failed map[string]bool
}

func (f *firstSubscribeFails) Subscribe(ctx context.Context, topic string) (<-chan string, error) {
	f.mu.Lock()
	first := !f.failed[topic]
	f.failed[topic] = true
	f.mu.Unlock()
	if first {
		return nil, errors.New("store down")
	}
	return f.Store.Subscribe(ctx, topic)
}

type revocation struct {
	sessionID, tokenHash string
	stillCached          bool // the authenticator still had the credential
}

// TestRevocationsReachListeners: Run survives failing first subscriptions,
// tells OnRevoke listeners of each (re)subscription with ("", ""), and of
// a revoked session after its cache forgot it.
func TestRevocationsReachListeners(t *testing.T) {
	st := &firstSubscribeFails{Store: memory.New(), failed: map[string]bool{}}
	signer := mustSigner(t, []Key{keyA}, nil)
	authn := NewAuthenticator(signer, st, NewPolicy(nil, nil, st), Cookies{}, slog.New(slog.DiscardHandler))
	raw, alice, _, err := signer.Issue(Identity{UserID: "alice", Namespace: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	heard := make(chan revocation, 16)
	authn.OnRevoke(func(sessionID, tokenHash string) {
		authn.mu.RLock()
		_, cached := authn.cache[raw]
		authn.mu.RUnlock()
		heard <- revocation{sessionID, tokenHash, cached}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- authn.Run(ctx) }()
	for range 2 { // sessions and tokens, each subscribed at the second try
		if r := <-heard; r.sessionID != "" || r.tokenHash != "" {
			t.Errorf("first revocation heard %+v, want a resync (both empty)", r)
		}
	}

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: Cookies{}.Hub(), Value: raw})
	if _, err := authn.Authenticate(req); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeSession(ctx, alice.SessionID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r := <-heard; r != (revocation{sessionID: alice.SessionID}) {
		t.Errorf("heard %+v, want session %q, no longer cached", r, alice.SessionID)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}
