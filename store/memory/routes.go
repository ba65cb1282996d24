package memory

import (
	"context"
	"fmt"

	"github.com/spawnhub/spawnhub/store"
)

// SetRoute stores the route of key and publishes key on store.TopicRoutes.
func (s *Store) SetRoute(_ context.Context, key store.Key, r store.Route) error {
	s.st.mu.Lock()
	s.st.routes[key] = r
	s.st.mu.Unlock()
	s.st.hub.publish(store.TopicRoutes, key.String())
	return nil
}

// GetRoute returns the route of key.
func (s *Store) GetRoute(_ context.Context, key store.Key) (store.Route, error) {
	s.st.mu.Lock()
	r, ok := s.st.routes[key]
	s.st.mu.Unlock()
	if !ok {
		return store.Route{}, fmt.Errorf("get route %s: %w", key, store.ErrNotFound)
	}
	return r, nil
}

// DeleteRoute removes the route of key, if any, and publishes key on
// store.TopicRoutes.
func (s *Store) DeleteRoute(_ context.Context, key store.Key) error {
	s.st.mu.Lock()
	delete(s.st.routes, key)
	s.st.mu.Unlock()
	s.st.hub.publish(store.TopicRoutes, key.String())
	return nil
}
