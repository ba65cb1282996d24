package memory

import (
	"context"
	"slices"

	"github.com/spawnhub/spawnhub/store"
)

// AppendEvent adds e to the events of key, keeping the last
// store.MaxEvents, and publishes key on store.TopicServers.
func (s *Store) AppendEvent(_ context.Context, key store.Key, e store.Event) error {
	s.st.mu.Lock()
	events := append(s.st.events[key], e)
	if extra := len(events) - store.MaxEvents; extra > 0 {
		events = slices.Delete(events, 0, extra)
	}
	s.st.events[key] = events
	s.st.mu.Unlock()
	s.st.hub.publish(store.TopicServers, key.String())
	return nil
}

// ListEvents returns a copy of the events of key, oldest first.
func (s *Store) ListEvents(_ context.Context, key store.Key) ([]store.Event, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return slices.Clone(s.st.events[key]), nil
}
