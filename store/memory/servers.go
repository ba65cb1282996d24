package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/spawnhub/spawnhub/store"
)

// CreateServer stores s with Version 1 and publishes its key on
// store.TopicServers.
func (s *Store) CreateServer(_ context.Context, srv store.Server) (store.Server, error) {
	key := srv.Key()
	srv.Version = 1
	b, err := encode("server "+key.String(), srv)
	if err != nil {
		return store.Server{}, err
	}
	st := s.st
	st.mu.Lock()
	_, taken := st.servers[key]
	if !taken {
		st.servers[key] = versioned{version: 1, data: b}
		st.indexLocked(key, &srv)
	}
	st.mu.Unlock()
	if taken {
		return store.Server{}, fmt.Errorf("create server %s: %w", key, store.ErrConflict)
	}
	st.hub.publish(store.TopicServers, key.String())
	return decode[store.Server]("server "+key.String(), b)
}

// GetServer returns the record of ns/name.
func (s *Store) GetServer(_ context.Context, ns, name string) (store.Server, error) {
	key := store.Key{Namespace: ns, Name: name}
	s.st.mu.Lock()
	rec, ok := s.st.servers[key]
	s.st.mu.Unlock()
	if !ok {
		return store.Server{}, fmt.Errorf("get server %s: %w", key, store.ErrNotFound)
	}
	return decode[store.Server]("server "+key.String(), rec.data)
}

// ListServers returns the servers of ns sorted by name, or of every
// namespace sorted by namespace then name when ns is "".
func (s *Store) ListServers(_ context.Context, ns string) ([]store.Server, error) {
	s.st.mu.Lock()
	var keys []store.Key
	var recs [][]byte
	for key, rec := range s.st.servers {
		if ns == "" || key.Namespace == ns {
			keys = append(keys, key)
			recs = append(recs, rec.data)
		}
	}
	s.st.mu.Unlock()
	list := make([]store.Server, 0, len(recs))
	for i, b := range recs {
		srv, err := decode[store.Server]("server "+keys[i].String(), b)
		if err != nil {
			return nil, err
		}
		list = append(list, srv)
	}
	slices.SortFunc(list, compareServers)
	return list, nil
}

func compareServers(a, b store.Server) int {
	if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// UpdateServer replaces the record if srv.Version is the stored version and
// publishes its key on store.TopicServers.
func (s *Store) UpdateServer(_ context.Context, srv store.Server) (store.Server, error) {
	key := srv.Key()
	expected := srv.Version
	srv.Version++
	b, err := encode("server "+key.String(), srv)
	if err != nil {
		return store.Server{}, err
	}
	st := s.st
	st.mu.Lock()
	rec, ok := st.servers[key]
	switch {
	case !ok:
		err = store.ErrNotFound
	case rec.version != expected:
		err = store.ErrConflict
	default:
		st.servers[key] = versioned{version: srv.Version, data: b}
		st.indexLocked(key, &srv)
	}
	st.mu.Unlock()
	if err != nil {
		return store.Server{}, fmt.Errorf("update server %s at version %d: %w", key, expected, err)
	}
	st.hub.publish(store.TopicServers, key.String())
	return decode[store.Server]("server "+key.String(), b)
}

// DeleteServer removes the record, route, activity and events of ns/name if
// version is the stored version, and publishes the key on store.TopicServers
// and store.TopicRoutes.
func (s *Store) DeleteServer(_ context.Context, ns, name string, version int64) error {
	key := store.Key{Namespace: ns, Name: name}
	st := s.st
	st.mu.Lock()
	rec, ok := st.servers[key]
	var err error
	switch {
	case !ok:
		err = store.ErrNotFound
	case rec.version != version:
		err = store.ErrConflict
	default:
		delete(st.servers, key)
		delete(st.routes, key)
		delete(st.activity, key)
		delete(st.sources, key)
		delete(st.events, key)
		st.indexLocked(key, nil)
	}
	st.mu.Unlock()
	if err != nil {
		return fmt.Errorf("delete server %s at version %d: %w", key, version, err)
	}
	st.hub.publish(store.TopicServers, key.String())
	st.hub.publish(store.TopicRoutes, key.String())
	return nil
}
