package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spawnhub/spawnhub/store"
)

// SetRoute stores the route of key and publishes key on store.TopicRoutes,
// in one script.
func (s *Store) SetRoute(ctx context.Context, key store.Key, r store.Route) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode route %s: %w", key, err)
	}
	err = setPublish.Run(ctx, s.rdb, []string{s.k.route(key)},
		b, 0, s.k.topic(store.TopicRoutes), key.String()).Err()
	if err != nil {
		return fmt.Errorf("set route %s: %w", key, err)
	}
	return nil
}

// GetRoute returns the route of key.
func (s *Store) GetRoute(ctx context.Context, key store.Key) (store.Route, error) {
	b, err := s.rdb.Get(ctx, s.k.route(key)).Bytes()
	if err != nil {
		return store.Route{}, fmt.Errorf("get route %s: %w", key, translate(err))
	}
	var r store.Route
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Route{}, fmt.Errorf("decode route %s: %w", key, err)
	}
	return r, nil
}

// DeleteRoute removes the route of key, if any, and publishes key on
// store.TopicRoutes, in one script.
func (s *Store) DeleteRoute(ctx context.Context, key store.Key) error {
	err := delPublish.Run(ctx, s.rdb, []string{s.k.route(key)},
		s.k.topic(store.TopicRoutes), key.String()).Err()
	if err != nil {
		return fmt.Errorf("delete route %s: %w", key, err)
	}
	return nil
}
