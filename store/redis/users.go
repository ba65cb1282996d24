package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/spawnhub/spawnhub/store"
)

// PutUser stores u, replacing any user with its ID.
func (s *Store) PutUser(ctx context.Context, u store.User) error {
	b, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode user %s: %w", u.ID, err)
	}
	if err := s.rdb.Set(ctx, s.k.user(u.ID), b, 0).Err(); err != nil {
		return fmt.Errorf("put user %s: %w", u.ID, err)
	}
	return nil
}

// GetUser returns the user with that ID.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	b, err := s.rdb.Get(ctx, s.k.user(id)).Bytes()
	if err != nil {
		return store.User{}, fmt.Errorf("get user %s: %w", id, translate(err))
	}
	var u store.User
	if err := json.Unmarshal(b, &u); err != nil {
		return store.User{}, fmt.Errorf("decode user %s: %w", id, err)
	}
	return u, nil
}

// CreateNamespace stores n with Version 1 and publishes its name on
// store.TopicAccess. The name joins the listing index first, so that a
// listing never misses a namespace.
func (s *Store) CreateNamespace(ctx context.Context, n store.Namespace) (store.Namespace, error) {
	n.Version = 1
	b, err := json.Marshal(n)
	if err != nil {
		return store.Namespace{}, fmt.Errorf("encode namespace %s: %w", n.Name, err)
	}
	if err := s.rdb.SAdd(ctx, s.k.namespaces(), n.Name).Err(); err != nil {
		return store.Namespace{}, fmt.Errorf("create namespace %s: index: %w", n.Name, err)
	}
	res, err := createVersioned.Run(ctx, s.rdb, []string{s.k.namespace(n.Name)},
		b, s.k.topic(store.TopicAccess), n.Name).Int64()
	if err := scriptResult(res, err); err != nil {
		return store.Namespace{}, fmt.Errorf("create namespace %s: %w", n.Name, err)
	}
	return n, nil
}

// GetNamespace returns the namespace with that name.
func (s *Store) GetNamespace(ctx context.Context, name string) (store.Namespace, error) {
	b, err := s.rdb.HGet(ctx, s.k.namespace(name), "d").Bytes()
	if err != nil {
		return store.Namespace{}, fmt.Errorf("get namespace %s: %w", name, translate(err))
	}
	return decodeNamespace(name, b)
}

func decodeNamespace(name string, b []byte) (store.Namespace, error) {
	var n store.Namespace
	if err := json.Unmarshal(b, &n); err != nil {
		return store.Namespace{}, fmt.Errorf("decode namespace %s: %w", name, err)
	}
	return n, nil
}

// UpdateNamespace replaces the namespace if n.Version is the stored version
// and publishes its name on store.TopicAccess (its sharing may have
// changed), in one script.
func (s *Store) UpdateNamespace(ctx context.Context, n store.Namespace) (store.Namespace, error) {
	expected := n.Version
	n.Version++
	b, err := json.Marshal(n)
	if err != nil {
		return store.Namespace{}, fmt.Errorf("encode namespace %s: %w", n.Name, err)
	}
	res, err := updateVersioned.Run(ctx, s.rdb, []string{s.k.namespace(n.Name)},
		strconv.FormatInt(expected, 10), strconv.FormatInt(n.Version, 10), b,
		s.k.topic(store.TopicAccess), n.Name).Int64()
	if err := scriptResult(res, err); err != nil {
		return store.Namespace{}, fmt.Errorf("update namespace %s at version %d: %w", n.Name, expected, err)
	}
	return n, nil
}

// ListNamespaces returns every namespace sorted by name.
func (s *Store) ListNamespaces(ctx context.Context) ([]store.Namespace, error) {
	names, err := s.rdb.SMembers(ctx, s.k.namespaces()).Result()
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	redisKeys := make([]string, len(names))
	for i, name := range names {
		redisKeys[i] = s.k.namespace(name)
	}
	records, err := s.hgetAll(ctx, redisKeys, "d")
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	list := make([]store.Namespace, 0, len(names))
	for i, b := range records {
		if b == nil {
			continue // indexed, but its creation did not happen or is under way
		}
		n, err := decodeNamespace(names[i], b)
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	slices.SortFunc(list, func(a, b store.Namespace) int { return cmp.Compare(a.Name, b.Name) })
	return list, nil
}
