package redis

import (
	"context"
	"fmt"
)

// Reindex adds to the administrators' index the servers it lacks: records
// written before the index existed (an upgrade). It reads every record
// once, so a replica runs it at start, not per request; entries already
// there are left alone. It returns how many it added.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	servers, err := s.ListServers(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	if len(servers) == 0 {
		return 0, nil
	}
	members := make([]string, len(servers))
	for i, srv := range servers {
		members[i] = srv.Key().String()
	}
	metas, err := s.rdb.HMGet(ctx, s.k.admin("meta"), members...).Result()
	if err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	added := 0
	for i, m := range metas {
		if m != nil {
			continue
		}
		if err := s.index(ctx, servers[i].Key(), &servers[i]); err != nil {
			return added, fmt.Errorf("reindex: %w", err)
		}
		added++
	}
	return added, nil
}
