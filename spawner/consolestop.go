package spawner

import (
	"context"
	"errors"
	"sync"

	"github.com/spawnhub/spawnhub/store"
)

// StopRequest is a bulk stop: every server a filter matches, or a list.
type StopRequest struct {
	Filter  *ServerFilter
	Servers []store.Key
	DryRun  bool // say what would stop; change nothing
}

// StopResult is what happened to one server of a bulk stop.
type StopResult struct {
	store.Key
	Phase   store.Phase `json:"phase,omitempty"` // after the stop (before it, in a dry run)
	Stopped bool        `json:"stopped"`         // stopped now (would be, in a dry run)
	Error   string      `json:"error,omitempty"`
	Err     error       `json:"-"`
}

// stopWorkers is how many servers a bulk stop stops at once.
const stopWorkers = 8

// StopServers stops what req names and reports on each server; a dry run
// reads only. Servers already stopped are left out of a filter's result.
func (c *Console) StopServers(ctx context.Context, req StopRequest) ([]StopResult, error) {
	targets, err := c.stopTargets(ctx, req)
	if err != nil || req.DryRun {
		return targets, err
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(stopWorkers, len(targets)) {
		wg.Go(func() { // ends when next is closed
			for i := range next {
				c.stopOne(ctx, &targets[i])
			}
		})
	}
	for i := range targets {
		if targets[i].Stopped { // found, and not stopped yet
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return targets, nil
}

func (c *Console) stopOne(ctx context.Context, r *StopResult) {
	srv, err := c.stop.Stop(ctx, r.Namespace, r.Name)
	if err != nil {
		r.Stopped, r.Err, r.Error = false, err, err.Error()
		return
	}
	r.Phase, r.Stopped = srv.Phase, srv.Phase == store.PhaseStopped || srv.Phase == store.PhaseStopping
}

// stopTargets lists what a stop would stop, as a dry run reports it.
func (c *Console) stopTargets(ctx context.Context, req StopRequest) ([]StopResult, error) {
	if req.Filter == nil {
		out := make([]StopResult, 0, len(req.Servers))
		for _, key := range req.Servers {
			out = append(out, c.stopTarget(ctx, key))
		}
		return out, nil
	}
	out := []StopResult{}
	q := ServerQuery{Filter: *req.Filter, Limit: MaxPage}
	for {
		page, err := c.Servers(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Items {
			if s.Phase != store.PhaseStopped {
				out = append(out, StopResult{Key: s.Key, Phase: s.Phase, Stopped: true})
			}
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

func (c *Console) stopTarget(ctx context.Context, key store.Key) StopResult {
	srv, err := c.stop.Get(ctx, key.Namespace, key.Name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = store.ErrNotFound // not the store's wording
		}
		return StopResult{Key: key, Err: err, Error: err.Error()}
	}
	return StopResult{Key: key, Phase: srv.Phase, Stopped: srv.Phase != store.PhaseStopped}
}
