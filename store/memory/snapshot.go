package memory

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// snapshot is the durable part of a state, as JSON. Leases are left out:
// they belong to the process that held them.
type snapshot struct {
	Servers    map[string]versionedJSON   `json:"servers"`
	Routes     map[string]store.Route     `json:"routes"`
	Activity   map[string]int64           `json:"activity"`
	Events     map[string][]store.Event   `json:"events"`
	Users      map[string]json.RawMessage `json:"users"`
	Namespaces map[string]versionedJSON   `json:"namespaces"`
	Tokens     map[string]json.RawMessage `json:"tokens"`
	TokenIDs   map[string]string          `json:"tokenIDs"`
	Revoked    map[string]time.Time       `json:"revoked"`
	Sources    map[string]store.Mark      `json:"sources,omitempty"` // the activity's sources
	Runs       []store.Run                `json:"runs,omitempty"`    // finished runs, for usage
}

type versionedJSON struct {
	Version int64           `json:"version"`
	Data    json.RawMessage `json:"data"`
}

// Save writes the state to w, so that the embedded default survives a
// restart of its one process (Redis does this for production).
func (s *Store) Save(w io.Writer) error {
	st := s.st
	st.mu.Lock()
	snap := snapshot{
		Servers: map[string]versionedJSON{}, Routes: map[string]store.Route{}, Activity: map[string]int64{},
		Events: map[string][]store.Event{}, Users: map[string]json.RawMessage{}, Namespaces: map[string]versionedJSON{},
		Tokens: map[string]json.RawMessage{}, TokenIDs: st.tokenIDs, Revoked: st.revoked,
		Sources: map[string]store.Mark{}, Runs: st.index.runs,
	}
	for k, m := range st.sources {
		snap.Sources[k.String()] = m
	}
	for k, v := range st.servers {
		snap.Servers[k.String()] = versionedJSON{v.version, v.data}
	}
	for k, r := range st.routes {
		snap.Routes[k.String()] = r
	}
	for k, t := range st.activity {
		snap.Activity[k.String()] = t
	}
	for k, e := range st.events {
		snap.Events[k.String()] = e
	}
	for id, u := range st.users {
		snap.Users[id] = u
	}
	for name, v := range st.namespaces {
		snap.Namespaces[name] = versionedJSON{v.version, v.data}
	}
	for h, t := range st.tokens {
		snap.Tokens[h] = t
	}
	b, err := json.Marshal(snap)
	st.mu.Unlock()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// Restore replaces the state with a snapshot written by Save.
func (s *Store) Restore(r io.Reader) error {
	var snap snapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, v := range snap.Servers {
		if key, ok := store.ParseKey(k); ok {
			st.servers[key] = versioned{v.Version, v.Data}
			if srv, err := decode[store.Server]("server "+k, v.Data); err == nil {
				st.indexLocked(key, &srv)
			}
		}
	}
	for k, r := range snap.Routes {
		if key, ok := store.ParseKey(k); ok {
			st.routes[key] = r
		}
	}
	for k, t := range snap.Activity {
		if key, ok := store.ParseKey(k); ok {
			st.activity[key] = t
		}
	}
	for k, e := range snap.Events {
		if key, ok := store.ParseKey(k); ok {
			st.events[key] = e
		}
	}
	for id, u := range snap.Users {
		st.users[id] = u
	}
	for name, v := range snap.Namespaces {
		st.namespaces[name] = versioned{v.Version, v.Data}
	}
	for h, t := range snap.Tokens {
		st.tokens[h] = t
	}
	for id, h := range snap.TokenIDs {
		st.tokenIDs[id] = h
	}
	for id, until := range snap.Revoked {
		st.revoked[id] = until
	}
	for k, m := range snap.Sources {
		if key, ok := store.ParseKey(k); ok {
			st.sources[key] = m
		}
	}
	st.index.runs = append(st.index.runs, snap.Runs...)
	return nil
}

// SaveFile writes a snapshot to path atomically (a temporary file renamed
// over it), readable by its owner only: it holds token hashes.
func (s *Store) SaveFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := s.Save(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// RestoreFile loads a snapshot from path; a missing file is an empty state.
func (s *Store) RestoreFile(path string) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	return s.Restore(f)
}
