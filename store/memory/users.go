package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/spawnhub/spawnhub/store"
)

// PutUser stores u, replacing any user with its ID.
func (s *Store) PutUser(_ context.Context, u store.User) error {
	b, err := encode("user "+u.ID, u)
	if err != nil {
		return err
	}
	s.st.mu.Lock()
	s.st.users[u.ID] = b
	s.st.mu.Unlock()
	return nil
}

// GetUser returns the user with that ID.
func (s *Store) GetUser(_ context.Context, id string) (store.User, error) {
	s.st.mu.Lock()
	b, ok := s.st.users[id]
	s.st.mu.Unlock()
	if !ok {
		return store.User{}, fmt.Errorf("get user %s: %w", id, store.ErrNotFound)
	}
	return decode[store.User]("user "+id, b)
}

// CreateNamespace stores n with Version 1 and publishes its name on
// store.TopicAccess.
func (s *Store) CreateNamespace(_ context.Context, n store.Namespace) (store.Namespace, error) {
	n.Version = 1
	b, err := encode("namespace "+n.Name, n)
	if err != nil {
		return store.Namespace{}, err
	}
	st := s.st
	st.mu.Lock()
	_, taken := st.namespaces[n.Name]
	if !taken {
		st.namespaces[n.Name] = versioned{version: 1, data: b}
	}
	st.mu.Unlock()
	if taken {
		return store.Namespace{}, fmt.Errorf("create namespace %s: %w", n.Name, store.ErrConflict)
	}
	st.hub.publish(store.TopicAccess, n.Name)
	return decode[store.Namespace]("namespace "+n.Name, b)
}

// GetNamespace returns the namespace with that name.
func (s *Store) GetNamespace(_ context.Context, name string) (store.Namespace, error) {
	s.st.mu.Lock()
	rec, ok := s.st.namespaces[name]
	s.st.mu.Unlock()
	if !ok {
		return store.Namespace{}, fmt.Errorf("get namespace %s: %w", name, store.ErrNotFound)
	}
	return decode[store.Namespace]("namespace "+name, rec.data)
}

// UpdateNamespace replaces the namespace if n.Version is the stored version,
// and publishes its name on store.TopicAccess: its sharing may have changed.
func (s *Store) UpdateNamespace(_ context.Context, n store.Namespace) (store.Namespace, error) {
	expected := n.Version
	n.Version++
	b, err := encode("namespace "+n.Name, n)
	if err != nil {
		return store.Namespace{}, err
	}
	st := s.st
	st.mu.Lock()
	rec, ok := st.namespaces[n.Name]
	switch {
	case !ok:
		err = store.ErrNotFound
	case rec.version != expected:
		err = store.ErrConflict
	default:
		st.namespaces[n.Name] = versioned{version: n.Version, data: b}
	}
	st.mu.Unlock()
	if err != nil {
		return store.Namespace{}, fmt.Errorf("update namespace %s at version %d: %w", n.Name, expected, err)
	}
	st.hub.publish(store.TopicAccess, n.Name)
	return decode[store.Namespace]("namespace "+n.Name, b)
}

// ListNamespaces returns every namespace sorted by name.
func (s *Store) ListNamespaces(_ context.Context) ([]store.Namespace, error) {
	s.st.mu.Lock()
	recs := make([][]byte, 0, len(s.st.namespaces))
	for _, rec := range s.st.namespaces {
		recs = append(recs, rec.data)
	}
	s.st.mu.Unlock()
	list := make([]store.Namespace, 0, len(recs))
	for _, b := range recs {
		n, err := decode[store.Namespace]("namespace", b)
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	slices.SortFunc(list, func(a, b store.Namespace) int { return cmp.Compare(a.Name, b.Name) })
	return list, nil
}
