package memory

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// RevokeSession remembers id as revoked until until, and publishes it on
// store.TopicSessions. It also forgets revocations that have ended.
func (s *Store) RevokeSession(_ context.Context, id string, until time.Time) error {
	st := s.st
	now := st.now()
	st.mu.Lock()
	for other, end := range st.revoked {
		if !now.Before(end) {
			delete(st.revoked, other)
		}
	}
	if now.Before(until) {
		st.revoked[id] = until
	}
	st.mu.Unlock()
	st.hub.publish(store.TopicSessions, id)
	return nil
}

// IsSessionRevoked reports whether id was revoked and its revocation has not
// ended.
func (s *Store) IsSessionRevoked(_ context.Context, id string) (bool, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	until, ok := st.revoked[id]
	st.mu.Unlock()
	return ok && now.Before(until), nil
}
