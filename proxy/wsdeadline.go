package proxy

import (
	"net"
	"sync/atomic"
	"time"
)

// A renewal is when a relayed websocket's deadline was last pushed back,
// as a duration on relayClock (0: never): a third of a time.Time, and a
// connection has three (its state is 1016 bytes in all, within the
// allocator's 1024-byte class).
type renewal time.Duration

var relayClock = time.Now()

type deadlineKind bool

const (
	readDeadline  deadlineKind = true
	writeDeadline deadlineKind = false
)

// pushBack moves conn's deadline of this kind to timeout from now when it
// was last moved more than a sixteenth of timeout ago (a timer update
// each time), unless the relay is stopping: stop has set the last
// deadline, and one pushed back meanwhile is set to closeGrace again.
func (r *renewal) pushBack(conn net.Conn, kind deadlineKind, now time.Time, timeout time.Duration, stopped *atomic.Bool) {
	if stopped.Load() || !r.due(now, timeout/16) {
		return
	}
	set := conn.SetWriteDeadline
	if kind == readDeadline {
		set = conn.SetReadDeadline
	}
	_ = set(now.Add(timeout))
	if stopped.Load() {
		_ = set(now.Add(closeGrace))
	}
}

// due reports whether a deadline last pushed back at r is to be pushed
// back at now, more than every later, and if so takes now as r.
func (r *renewal) due(now time.Time, every time.Duration) bool {
	at := renewal(now.Sub(relayClock))
	if *r != 0 && time.Duration(at-*r) < every {
		return false
	}
	*r = at
	return true
}
