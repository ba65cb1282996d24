package spawner

import (
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Cull actions.
const (
	CullActionWarn = "warn" // warn now: the cull is due within WarnBefore
	CullActionWait = "wait" // warned: the cull is not due yet
	CullActionCull = "cull" // stop now
)

// CullDecision is what the culler does to one server, and why.
type CullDecision struct {
	Namespace    string        `json:"namespace"`
	Name         string        `json:"name"`
	Kind         string        `json:"kind"`
	Action       string        `json:"action"`
	Reason       string        `json:"reason"` // store.CullIdle or store.CullMaxAge
	IdleFor      time.Duration `json:"-"`
	IdleSeconds  int64         `json:"idleSeconds"`
	LastActivity time.Time     `json:"lastActivity,omitzero"`
	Source       string        `json:"lastActivitySource,omitempty"`
	CullAt       time.Time     `json:"cullAt"`
}

// Key is the decision's server.
func (d CullDecision) Key() store.Key { return store.Key{Namespace: d.Namespace, Name: d.Name} }

// PendingCull is the culler's warning of srv still in force given its last
// activity: any activity after the warning cancels it. Nil if none.
func PendingCull(srv store.Server, last time.Time) *store.Cull {
	c := srv.Cull
	if c == nil || c.Done || srv.Phase != store.PhaseRunning {
		return nil
	}
	if c.Reason == store.CullIdle && last.After(c.WarnedAt) {
		return nil
	}
	return c
}

// decide is the culler's rule for one running server at now, given its
// last activity: nothing (false), a warning, waiting for a warned cull, or
// the cull. A cull always comes at least WarnBefore after its warning.
func (c CullConfig) decide(now time.Time, srv store.Server, act store.Activity) (CullDecision, bool) {
	d := CullDecision{
		Namespace: srv.Namespace, Name: srv.Name, Kind: srv.Spec.Kind,
		LastActivity: act.Last, Source: act.Source, IdleFor: now.Sub(act.Last),
	}
	d.IdleSeconds = int64(d.IdleFor / time.Second)
	due, ok := c.dueAt(srv, act.Last)
	if !ok || now.Before(due.Add(-c.WarnBefore)) {
		return d, false
	}
	d.Reason, d.CullAt = dueReason(c, srv, act.Last), due
	pending := PendingCull(srv, act.Last)
	switch {
	case pending == nil:
		d.Action, d.CullAt = CullActionWarn, laterOf(due, now.Add(c.WarnBefore))
		if c.WarnBefore == 0 {
			d.Action = CullActionCull
		}
	case now.Before(pending.At):
		d.Action, d.CullAt = CullActionWait, pending.At
	default:
		d.Action, d.CullAt = CullActionCull, pending.At
	}
	return d, true
}

// dueAt is when srv is due to be culled: the earlier of its idle timeout
// after its last activity and its maximum age; false if neither applies.
func (c CullConfig) dueAt(srv store.Server, last time.Time) (time.Time, bool) {
	var due time.Time
	if t := c.idleTimeout(srv.Spec.Kind); t > 0 && !last.IsZero() {
		due = last.Add(t)
	}
	if c.MaxAge > 0 && !srv.StartedAt.IsZero() {
		if old := srv.StartedAt.Add(c.MaxAge); due.IsZero() || old.Before(due) {
			due = old
		}
	}
	return due, !due.IsZero()
}

func dueReason(c CullConfig, srv store.Server, last time.Time) string {
	idle, ok := time.Time{}, false
	if t := c.idleTimeout(srv.Spec.Kind); t > 0 && !last.IsZero() {
		idle, ok = last.Add(t), true
	}
	if c.MaxAge > 0 && !srv.StartedAt.IsZero() && (!ok || srv.StartedAt.Add(c.MaxAge).Before(idle)) {
		return store.CullMaxAge
	}
	return store.CullIdle
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
