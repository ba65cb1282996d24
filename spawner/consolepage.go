package spawner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// ErrBadQuery means a console query names an unknown sort or a cursor of
// another sort.
var ErrBadQuery = errors.New("spawner: bad console query")

// scanBatch is how many index entries one read takes while filtering.
const scanBatch = 200

// page reads the index in the query's order from its cursor, keeping the
// servers that match, until the page is full or the index ends.
func (c *Console) page(ctx context.Context, m matcher, q ServerQuery) ([]AdminServer, string, error) {
	scan, err := scanOf(q.Sort, m)
	if err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	scan.After, scan.Count = q.Cursor, max(limit, scanBatch)
	items := make([]AdminServer, 0, limit)
	for {
		batch, err := c.st.ScanServers(ctx, scan)
		if err != nil {
			return nil, "", err
		}
		acts, err := c.activities(ctx, batch)
		if err != nil {
			return nil, "", err
		}
		for i, s := range batch {
			act, ok := acts[s.Key]
			if !m.match(s, act, ok) {
				continue
			}
			items = append(items, c.row(s, act))
			if len(items) == limit {
				more := i < len(batch)-1 || len(batch) == scan.Count
				return c.withOwners(ctx, items, more)
			}
		}
		if len(batch) < scan.Count {
			return c.withOwners(ctx, items, false)
		}
		scan.After = batch[len(batch)-1].Cursor
	}
}

func (c *Console) activities(ctx context.Context, batch []store.Summary) (map[store.Key]store.Activity, error) {
	keys := make([]store.Key, 0, len(batch))
	for _, s := range batch {
		if s.Phase == store.PhaseRunning {
			keys = append(keys, s.Key)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	acts, err := c.st.Activities(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("activity of %d servers: %w", len(keys), err)
	}
	return acts, nil
}

func (c *Console) row(s store.Summary, act store.Activity) AdminServer {
	r := AdminServer{Summary: s, LastActivity: act.Last, Source: act.Source}
	if s.Phase == store.PhaseRunning && !act.Last.IsZero() {
		r.IdleFor = Duration(c.now().Sub(act.Last).Truncate(time.Second))
	}
	return r
}

// withOwners names the owner of each row's namespace (one read for the
// page) and returns the page with its next cursor.
func (c *Console) withOwners(ctx context.Context, items []AdminServer, more bool) ([]AdminServer, string, error) {
	seen := map[string]bool{}
	var namespaces []string
	for _, it := range items {
		if !seen[it.Namespace] {
			seen[it.Namespace] = true
			namespaces = append(namespaces, it.Namespace)
		}
	}
	if len(namespaces) > 0 {
		owners, err := c.st.Owners(ctx, namespaces)
		if err != nil {
			return nil, "", err
		}
		for i := range items {
			items[i].Owner = owners[items[i].Namespace]
		}
	}
	next := ""
	if more && len(items) > 0 {
		next = items[len(items)-1].Cursor
	}
	return items, next, nil
}

// totals sums what the filter matches: from the index's groups, or, with
// an idle filter, from a scan of the servers idle that long (the idle
// ones only, not every server).
func (c *Console) totals(ctx context.Context, m matcher) (Totals, error) {
	var t Totals
	if m.idleBefore.IsZero() {
		buckets, err := c.st.Buckets(ctx, m.bucketNamespaces())
		if err != nil {
			return t, err
		}
		for _, b := range buckets {
			if m.group(b) {
				t.add(b)
			}
		}
		return t, nil
	}
	err := c.eachIdle(ctx, m, func(s store.Summary) { t.add(s.Bucket()) })
	return t, err
}

// eachIdle calls fn with every server the filter matches among those idle
// since before m.idleBefore, oldest activity first.
func (c *Console) eachIdle(ctx context.Context, m matcher, fn func(store.Summary)) error {
	scan := store.Scan{Order: store.OrderActivity, ActiveBefore: m.idleBefore, Count: MaxPage}
	for {
		batch, err := c.st.ScanServers(ctx, scan)
		if err != nil {
			return err
		}
		acts, err := c.activities(ctx, batch)
		if err != nil {
			return err
		}
		for _, s := range batch {
			if act, ok := acts[s.Key]; m.match(s, act, ok) {
				fn(s)
			}
		}
		if len(batch) < scan.Count {
			return nil
		}
		scan.After = batch[len(batch)-1].Cursor
	}
}
