package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// CreateServer stores srv with Version 1 and publishes its key on
// store.TopicServers. The namespace joins the listing index first, so that a
// listing never misses a record.
func (s *Store) CreateServer(ctx context.Context, srv store.Server) (store.Server, error) {
	key := srv.Key()
	srv.Version = 1
	b, err := json.Marshal(srv)
	if err != nil {
		return store.Server{}, fmt.Errorf("encode server %s: %w", key, err)
	}
	if err := s.rdb.SAdd(ctx, s.k.serverNamespaces(), key.Namespace).Err(); err != nil {
		return store.Server{}, fmt.Errorf("create server %s: index namespace: %w", key, err)
	}
	n, err := createVersioned.Run(ctx, s.rdb,
		[]string{s.k.server(key), s.k.servers(key.Namespace)},
		b, s.k.topic(store.TopicServers), key.String(), key.Name).Int64()
	if err := scriptResult(n, err); err != nil {
		return store.Server{}, fmt.Errorf("create server %s: %w", key, err)
	}
	if err := s.index(ctx, key, &srv); err != nil {
		return store.Server{}, fmt.Errorf("create server %s: %w", key, err)
	}
	return srv, nil
}

// GetServer returns the record of ns/name.
func (s *Store) GetServer(ctx context.Context, ns, name string) (store.Server, error) {
	key := store.Key{Namespace: ns, Name: name}
	b, err := s.rdb.HGet(ctx, s.k.server(key), "d").Bytes()
	if err != nil {
		return store.Server{}, fmt.Errorf("get server %s: %w", key, translate(err))
	}
	return decodeServer(key, b)
}

func decodeServer(key store.Key, b []byte) (store.Server, error) {
	var srv store.Server
	if err := json.Unmarshal(b, &srv); err != nil {
		return store.Server{}, fmt.Errorf("decode server %s: %w", key, err)
	}
	return srv, nil
}

// ListServers returns the servers of ns sorted by name, or of every
// namespace sorted by namespace then name when ns is "".
func (s *Store) ListServers(ctx context.Context, ns string) ([]store.Server, error) {
	namespaces := []string{ns}
	if ns == "" {
		var err error
		if namespaces, err = s.rdb.SMembers(ctx, s.k.serverNamespaces()).Result(); err != nil {
			return nil, fmt.Errorf("list server namespaces: %w", err)
		}
	}
	keys, err := s.serverKeys(ctx, namespaces)
	if err != nil {
		return nil, err
	}
	list, err := s.getServers(ctx, keys)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b store.Server) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return list, nil
}

// serverKeys returns the keys of the servers of the namespaces, in one
// round trip (a Cluster client splits the pipeline by slot).
func (s *Store) serverKeys(ctx context.Context, namespaces []string) ([]store.Key, error) {
	cmds := make([]*goredis.StringSliceCmd, len(namespaces))
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, ns := range namespaces {
			cmds[i] = p.SMembers(ctx, s.k.servers(ns))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list server names: %w", err)
	}
	var keys []store.Key
	for i, cmd := range cmds {
		for _, name := range cmd.Val() {
			keys = append(keys, store.Key{Namespace: namespaces[i], Name: name})
		}
	}
	return keys, nil
}

// getServers returns the records of keys in one round trip, skipping those
// deleted since they were listed.
func (s *Store) getServers(ctx context.Context, keys []store.Key) ([]store.Server, error) {
	redisKeys := make([]string, len(keys))
	for i, key := range keys {
		redisKeys[i] = s.k.server(key)
	}
	records, err := s.hgetAll(ctx, redisKeys, "d")
	if err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	list := make([]store.Server, 0, len(keys))
	for i, b := range records {
		if b == nil {
			continue // deleted since it was listed
		}
		srv, err := decodeServer(keys[i], b)
		if err != nil {
			return nil, err
		}
		list = append(list, srv)
	}
	return list, nil
}

// hgetAll reads one field of many hashes in one round trip; a missing
// hash gives nil.
func (s *Store) hgetAll(ctx context.Context, keys []string, field string) ([][]byte, error) {
	cmds := make([]*goredis.StringCmd, len(keys))
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.HGet(ctx, key, field)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, cmd := range cmds {
		b, err := cmd.Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keys[i], err)
		}
		out[i] = b
	}
	return out, nil
}

// UpdateServer replaces the record if srv.Version is the stored version and
// publishes its key on store.TopicServers, in one script.
func (s *Store) UpdateServer(ctx context.Context, srv store.Server) (store.Server, error) {
	key := srv.Key()
	expected := srv.Version
	srv.Version++
	b, err := json.Marshal(srv)
	if err != nil {
		return store.Server{}, fmt.Errorf("encode server %s: %w", key, err)
	}
	n, err := updateVersioned.Run(ctx, s.rdb, []string{s.k.server(key)},
		strconv.FormatInt(expected, 10), strconv.FormatInt(srv.Version, 10), b,
		s.k.topic(store.TopicServers), key.String()).Int64()
	if err := scriptResult(n, err); err != nil {
		return store.Server{}, fmt.Errorf("update server %s at version %d: %w", key, expected, err)
	}
	if err := s.index(ctx, key, &srv); err != nil {
		return store.Server{}, fmt.Errorf("update server %s: %w", key, err)
	}
	return srv, nil
}

// DeleteServer removes the record, its route and events if version is the
// stored version, publishing the key on store.TopicServers and
// store.TopicRoutes; then it removes the activity entry and the index's. The activity set
// lives in another slot, so that is a second command: if it fails, the entry
// outlives the record, and IdleSince may name a server that GetServer no
// longer finds (ClearActivity it).
func (s *Store) DeleteServer(ctx context.Context, ns, name string, version int64) error {
	key := store.Key{Namespace: ns, Name: name}
	n, err := deleteServer.Run(ctx, s.rdb,
		[]string{s.k.server(key), s.k.servers(ns), s.k.route(key), s.k.events(key)},
		strconv.FormatInt(version, 10), name,
		s.k.topic(store.TopicServers), s.k.topic(store.TopicRoutes), key.String()).Int64()
	if err := scriptResult(n, err); err != nil {
		return fmt.Errorf("delete server %s at version %d: %w", key, version, err)
	}
	if err := s.ClearActivity(ctx, key); err != nil {
		return fmt.Errorf("delete server %s: %w", key, err)
	}
	if err := s.index(ctx, key, nil); err != nil {
		return fmt.Errorf("delete server %s: %w", key, err)
	}
	return nil
}
