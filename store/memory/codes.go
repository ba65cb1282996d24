package memory

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// PutCode keeps value under code until ttl has passed or it is taken.
func (s *Store) PutCode(_ context.Context, code, value string, ttl time.Duration) error {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for c, l := range st.codes { // codes live seconds: few are ever pending
		if !now.Before(l.until) {
			delete(st.codes, c)
		}
	}
	st.codes[code] = lease{holder: value, until: now.Add(ttl)}
	return nil
}

// TakeCode returns the value of code once.
func (s *Store) TakeCode(_ context.Context, code string) (string, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	l, ok := st.codes[code]
	delete(st.codes, code)
	if !ok || !now.Before(l.until) {
		return "", store.ErrNotFound
	}
	return l.holder, nil
}
