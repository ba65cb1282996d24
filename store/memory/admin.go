package memory

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// index is the administrators' index, kept under the state's mutex with
// the records it summarises.
type index struct {
	summaries map[store.Key]store.Summary
	runs      []store.Run // finished runs
}

func newIndex() index { return index{summaries: map[store.Key]store.Summary{}} }

// indexLocked replaces the summary of key (after == nil: the record is
// gone), ending its run if it stopped; st.mu is held.
func (st *state) indexLocked(key store.Key, after *store.Server) {
	old, had := st.index.summaries[key]
	var next store.Summary
	if after != nil {
		next = store.SummaryOf(*after)
	}
	if had && old.Live() && (after == nil || !next.Live() || !next.StartedAt.Equal(old.StartedAt)) {
		end := st.now()
		if after != nil {
			end = store.RunEnd(old.StartedAt, *after, end)
		}
		st.index.runs = append(st.index.runs, runOf(old, end))
	}
	if after == nil {
		delete(st.index.summaries, key)
		return
	}
	st.index.summaries[key] = next
}

func runOf(s store.Summary, end time.Time) store.Run {
	return store.Run{
		Key: s.Key, Image: s.Image, CPUMilli: s.CPUMilli, MemoryBytes: s.MemoryBytes, GPUs: s.GPUs,
		Start: s.StartedAt, End: end,
	}
}

// ScanServers sorts the in-process index (summaries, not records) and
// returns the page after req.After.
func (s *Store) ScanServers(_ context.Context, req store.Scan) ([]store.Summary, error) {
	st := s.st
	st.mu.Lock()
	all := make([]store.Summary, 0, len(st.index.summaries))
	for key, sum := range st.index.summaries {
		if req.Order == store.OrderName && req.Namespace != "" && key.Namespace != req.Namespace {
			continue
		}
		if req.Order == store.OrderActivity {
			ms, ok := st.activity[key]
			if !ok || (!req.ActiveBefore.IsZero() && !req.Desc && ms >= req.ActiveBefore.UnixMilli()) {
				continue
			}
			sum.Cursor = activityCursor(ms, key)
		}
		all = append(all, sum)
	}
	st.mu.Unlock()
	for i := range all {
		all[i].Cursor = cursorOf(req.Order, all[i])
	}
	slices.SortFunc(all, func(a, b store.Summary) int { return compareCursors(req.Order, a.Cursor, b.Cursor) })
	if req.Desc {
		slices.Reverse(all)
	}
	if req.After != "" {
		i := 0
		for i < len(all) && !beyond(req, all[i].Cursor) {
			i++
		}
		all = all[i:]
	}
	return all[:min(req.Count, len(all))], nil
}

// beyond reports whether cursor c comes after req.After in req's direction.
func beyond(req store.Scan, c string) bool {
	d := compareCursors(req.Order, c, req.After)
	return (!req.Desc && d > 0) || (req.Desc && d < 0)
}

// cursorOf is the cursor of a summary in an order, in the same form as
// the Redis store's.
func cursorOf(o store.Order, s store.Summary) string {
	switch o {
	case store.OrderStarted:
		return store.StartedCursor(s)
	case store.OrderActivity:
		return s.Cursor
	}
	return s.Key.String()
}

func activityCursor(ms int64, key store.Key) string {
	return strconv.FormatInt(ms, 10) + "|" + key.String()
}

// compareCursors orders cursors: activity ones by time then key, the
// others as strings.
func compareCursors(o store.Order, a, b string) int {
	if o != store.OrderActivity {
		return strings.Compare(a, b)
	}
	am, ak, _ := strings.Cut(a, "|")
	bm, bk, _ := strings.Cut(b, "|")
	an, _ := strconv.ParseInt(am, 10, 64)
	bn, _ := strconv.ParseInt(bm, 10, 64)
	return cmp.Or(cmp.Compare(an, bn), strings.Compare(ak, bk))
}

// Buckets sums the summaries by group, for the fleet (namespaces nil) or
// for each of namespaces.
func (s *Store) Buckets(_ context.Context, namespaces []string) ([]store.Bucket, error) {
	type group struct {
		ns, kind, image string
		phase           store.Phase
		gpu             bool
	}
	var want map[string]bool
	if namespaces != nil {
		want = map[string]bool{}
		for _, ns := range namespaces {
			want[ns] = true
		}
	}
	s.st.mu.Lock()
	sums := map[group]store.Bucket{}
	for _, sum := range s.st.index.summaries {
		b := sum.Bucket()
		if want == nil {
			b.Namespace = ""
		} else if !want[b.Namespace] {
			continue
		}
		g := group{b.Namespace, b.Kind, b.Image, b.Phase, b.GPU}
		t := sums[g]
		b.Servers += t.Servers
		b.CPUMilli += t.CPUMilli
		b.MemoryBytes += t.MemoryBytes
		b.GPUs += t.GPUs
		sums[g] = b
	}
	s.st.mu.Unlock()
	out := make([]store.Bucket, 0, len(sums))
	for _, b := range sums {
		out = append(out, b)
	}
	return out, nil
}

// Runs returns the finished runs that overlap [from, to) and the live ones.
func (s *Store) Runs(_ context.Context, from, to time.Time) ([]store.Run, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	var out []store.Run
	for _, r := range s.st.index.runs {
		if r.End.After(from) && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	for _, sum := range s.st.index.summaries {
		if sum.Live() && sum.StartedAt.Before(to) {
			out = append(out, runOf(sum, time.Time{}))
		}
	}
	return out, nil
}

// Owners returns the owner of each of namespaces that exists.
func (s *Store) Owners(_ context.Context, namespaces []string) (map[string]string, error) {
	out := make(map[string]string, len(namespaces))
	for _, ns := range namespaces {
		n, err := s.GetNamespace(context.Background(), ns)
		if err == nil {
			out[ns] = n.Owner
		}
	}
	return out, nil
}
