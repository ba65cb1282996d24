package spawner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// ServerFilter selects servers in the console; empty fields match all.
type ServerFilter struct {
	Namespace string      `json:"namespace,omitempty"`
	Owner     string      `json:"owner,omitempty"` // the namespace's owner (a user id)
	Image     string      `json:"image,omitempty"`
	Kind      string      `json:"kind,omitempty"`
	Phase     store.Phase `json:"phase,omitempty"`
	GPU       *bool       `json:"gpu,omitempty"` // with GPUs (true) or without (false)
	// IdleFor keeps the running servers without activity for that long.
	IdleFor Duration `json:"idleFor,omitempty"`
}

// matcher is a filter made ready for one request: the namespaces of the
// owner and the idle bound are looked up once.
type matcher struct {
	f          ServerFilter
	namespaces map[string]bool // nil: any
	idleBefore time.Time       // zero: no idle filter
}

func (c *Console) matcher(ctx context.Context, f ServerFilter) (matcher, error) {
	m := matcher{f: f}
	if f.IdleFor > 0 {
		m.idleBefore = c.now().Add(-time.Duration(f.IdleFor))
	}
	if f.Owner == "" {
		return m, nil
	}
	all, err := c.st.ListNamespaces(ctx)
	if err != nil {
		return m, fmt.Errorf("namespaces of %s: %w", f.Owner, err)
	}
	m.namespaces = map[string]bool{}
	for _, n := range all {
		if strings.EqualFold(n.Owner, f.Owner) {
			m.namespaces[n.Name] = true
		}
	}
	return m, nil
}

// bucketNamespaces is what Buckets should read: the filter's namespaces,
// or nil for the fleet's groups.
func (m matcher) bucketNamespaces() []string {
	if m.f.Namespace != "" {
		if m.namespaces != nil && !m.namespaces[m.f.Namespace] {
			return []string{}
		}
		return []string{m.f.Namespace}
	}
	if m.namespaces == nil {
		return nil
	}
	out := make([]string, 0, len(m.namespaces))
	for ns := range m.namespaces {
		out = append(out, ns)
	}
	return out
}

// group reports whether a whole group of the index matches (the idle
// filter aside: groups do not know activity). Fleet groups (Namespace "")
// match any namespace: Buckets was asked for the filter's namespaces.
func (m matcher) group(b store.Bucket) bool {
	f := m.f
	return (b.Namespace == "" || f.Namespace == "" || b.Namespace == f.Namespace) &&
		(b.Namespace == "" || m.namespaces == nil || m.namespaces[b.Namespace]) &&
		(f.Image == "" || b.Image == f.Image) &&
		(f.Kind == "" || b.Kind == f.Kind) &&
		(f.Phase == "" || b.Phase == f.Phase) &&
		(f.GPU == nil || b.GPU == *f.GPU)
}

// match reports whether one server matches, given its activity (ok false:
// none known).
func (m matcher) match(s store.Summary, act store.Activity, ok bool) bool {
	if !m.group(s.Bucket()) {
		return false
	}
	if m.idleBefore.IsZero() {
		return true
	}
	return s.Phase == store.PhaseRunning && ok && act.Last.Before(m.idleBefore)
}

// scanOf is the index order of a sort.
func scanOf(sort string, m matcher) (store.Scan, error) {
	desc := strings.HasPrefix(sort, "-")
	switch strings.TrimPrefix(sort, "-") {
	case "", SortName:
		return store.Scan{Order: store.OrderName, Desc: desc, Namespace: m.f.Namespace}, nil
	case SortStarted:
		return store.Scan{Order: store.OrderStarted, Desc: desc}, nil
	case SortIdle: // idle longest first: oldest activity first
		s := store.Scan{Order: store.OrderActivity, Desc: desc}
		if !desc {
			s.ActiveBefore = m.idleBefore
		}
		return s, nil
	}
	return store.Scan{}, fmt.Errorf("sort %q: %w", sort, ErrBadQuery)
}
