package memory

import (
	"context"
	"time"
)

// lease is who holds a lease and until when.
type lease struct {
	holder string
	until  time.Time
}

// AcquireLease takes the lease for ttl if it is free or expired, renews it
// if holder has it, and reports false if another holder has it.
func (s *Store) AcquireLease(_ context.Context, name, holder string, ttl time.Duration) (bool, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	cur, ok := st.leases[name]
	if ok && cur.holder != holder && now.Before(cur.until) {
		return false, nil
	}
	st.leases[name] = lease{holder: holder, until: now.Add(ttl)}
	return true, nil
}

// ReleaseLease frees the lease if holder has it.
func (s *Store) ReleaseLease(_ context.Context, name, holder string) error {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if cur, ok := st.leases[name]; ok && cur.holder == holder {
		delete(st.leases, name)
	}
	return nil
}
