package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// MarkActivity records activity times to the millisecond; a time older than
// the stored one is ignored.
func (s *Store) MarkActivity(_ context.Context, marks map[store.Key]time.Time) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for key, t := range marks {
		ms := t.UnixMilli()
		if cur, ok := s.st.activity[key]; !ok || ms > cur {
			s.st.activity[key] = ms
		}
	}
	return nil
}

// LastActivity returns the last activity time of key.
func (s *Store) LastActivity(_ context.Context, key store.Key) (time.Time, error) {
	s.st.mu.Lock()
	ms, ok := s.st.activity[key]
	s.st.mu.Unlock()
	if !ok {
		return time.Time{}, fmt.Errorf("last activity of %s: %w", key, store.ErrNotFound)
	}
	return time.UnixMilli(ms), nil
}

// LastActivities returns the last activity of each of keys that has one.
func (s *Store) LastActivities(_ context.Context, keys []store.Key) (map[store.Key]time.Time, error) {
	out := make(map[store.Key]time.Time, len(keys))
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, key := range keys {
		if ms, ok := s.st.activity[key]; ok {
			out[key] = time.UnixMilli(ms)
		}
	}
	return out, nil
}

// IdleSince returns the servers whose last activity is before t, to the
// millisecond, oldest first.
func (s *Store) IdleSince(_ context.Context, t time.Time) ([]store.Activity, error) {
	before := t.UnixMilli()
	var idle []store.Activity
	s.st.mu.Lock()
	for key, ms := range s.st.activity {
		if ms < before {
			idle = append(idle, store.Activity{Key: key, Last: time.UnixMilli(ms)})
		}
	}
	s.st.mu.Unlock()
	slices.SortFunc(idle, func(a, b store.Activity) int {
		if c := a.Last.Compare(b.Last); c != 0 {
			return c
		}
		return cmp.Compare(a.Key.String(), b.Key.String())
	})
	return idle, nil
}

// ClearActivity forgets the activity of key.
func (s *Store) ClearActivity(_ context.Context, key store.Key) error {
	s.st.mu.Lock()
	delete(s.st.activity, key)
	delete(s.st.sources, key)
	s.st.mu.Unlock()
	return nil
}

// RecordActivity records the marks' times, like MarkActivity, and the
// source of each that is the newest of its server.
func (s *Store) RecordActivity(_ context.Context, marks map[store.Key]store.Mark) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for key, m := range marks {
		ms := m.At.UnixMilli()
		if cur, ok := s.st.activity[key]; !ok || ms > cur {
			s.st.activity[key] = ms
		}
		if cur, ok := s.st.sources[key]; !ok || ms > cur.At.UnixMilli() {
			s.st.sources[key] = store.Mark{At: time.UnixMilli(ms), Source: m.Source}
		}
	}
	return nil
}

// Activities returns the last activity and source of each of keys that has
// one. A source is given only if it is that of the last activity.
func (s *Store) Activities(_ context.Context, keys []store.Key) (map[store.Key]store.Activity, error) {
	out := make(map[store.Key]store.Activity, len(keys))
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, key := range keys {
		ms, ok := s.st.activity[key]
		if !ok {
			continue
		}
		a := store.Activity{Key: key, Last: time.UnixMilli(ms)}
		if src, ok := s.st.sources[key]; ok && src.At.UnixMilli() == ms {
			a.Source = src.Source
		}
		out[key] = a
	}
	return out, nil
}
