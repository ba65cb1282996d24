package web

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// parseServerQuery reads the console's list query: namespace, owner,
// image, kind, phase, gpu, idleFor, sort, limit, cursor.
func parseServerQuery(v url.Values) (spawner.ServerQuery, error) {
	fb := filterBody{
		Namespace: v.Get("namespace"), Owner: v.Get("owner"), Image: v.Get("image"),
		Kind: v.Get("kind"), Phase: v.Get("phase"), IdleFor: v.Get("idleFor"),
	}
	if g := v.Get("gpu"); g != "" {
		b, err := strconv.ParseBool(g)
		if err != nil {
			return spawner.ServerQuery{}, badRequest("gpu", "admin.gpu", nil)
		}
		fb.GPU = &b
	}
	f, err := fb.filter("")
	if err != nil {
		return spawner.ServerQuery{}, err
	}
	q := spawner.ServerQuery{Filter: f, Sort: v.Get("sort"), Cursor: v.Get("cursor")}
	if !validSort(q.Sort) {
		return q, badRequest("sort", "admin.sort", nil)
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > spawner.MaxPage {
			return q, badRequest("limit", "admin.limit", map[string]any{"Max": spawner.MaxPage})
		}
		q.Limit = n
	}
	return q, nil
}

func validSort(s string) bool {
	switch strings.TrimPrefix(s, "-") {
	case "", spawner.SortName, spawner.SortStarted, spawner.SortIdle:
		return true
	}
	return false
}

// filter checks each field; prefix is the fields' JSON path.
func (b filterBody) filter(prefix string) (spawner.ServerFilter, error) {
	f := spawner.ServerFilter{
		Namespace: b.Namespace, Owner: b.Owner, Image: b.Image, Kind: b.Kind,
		Phase: store.Phase(b.Phase), GPU: b.GPU,
	}
	switch f.Phase {
	case "", store.PhaseStopped, store.PhaseQueued, store.PhaseStarting, store.PhaseRunning, store.PhaseStopping, store.PhaseFailed:
	default:
		return f, badRequest(prefix+"phase", "admin.phase", nil)
	}
	if b.IdleFor != "" {
		d, err := time.ParseDuration(b.IdleFor)
		if err != nil || d <= 0 {
			return f, badRequest(prefix+"idleFor", "admin.idle_for", nil)
		}
		f.IdleFor = spawner.Duration(d)
	}
	return f, nil
}

// queryError names the field of a query the console refused.
func queryError(err error) error {
	if errors.Is(err, spawner.ErrBadQuery) {
		return badRequest("sort", "admin.sort", nil)
	}
	return err
}

// parsePeriod reads from and to (RFC 3339 times or dates); the default is
// this month up to now.
func parsePeriod(v url.Values, now time.Time) (from, to time.Time, err error) {
	now = now.UTC()
	from = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to = now
	if s := v.Get("from"); s != "" {
		if from, err = parseTime(s); err != nil {
			return from, to, badRequest("from", "admin.time", nil)
		}
	}
	if s := v.Get("to"); s != "" {
		if to, err = parseTime(s); err != nil {
			return from, to, badRequest("to", "admin.time", nil)
		}
	}
	if !to.After(from) {
		return from, to, badRequest("to", "admin.period", nil)
	}
	return from, to, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}
