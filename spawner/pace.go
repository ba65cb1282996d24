package spawner

import (
	"sync"
	"time"
)

// pace is how many starts this replica runs at a time: at most max, and
// fewer while the backend slows down. It follows the readiness times of
// the starts as TCP follows round trips: it begins with two slots and
// adds one per start in the usual time (slow start) up to max or the last
// level that proved too many; a start that took more than twice the usual
// time, or timed out, cuts the limit by a quarter and remembers that
// level; past it, a slot comes back per limit's worth of usual starts. So
// a limit set high does not flood a backend that cannot take it (and the
// API behind it stays responsive). A replica starved of CPU cuts it too
// (watchStarvation): its starts may be as fast as usual while its API is
// not.
type pace struct {
	mu      sync.Mutex
	max     int
	cur     float64
	thresh  float64       // slow start ends here
	usual   time.Duration // slow moving average of readiness times
	samples int
}

// usualWeight is the weight of one start in the usual readiness time;
// warmup starts set it before the limit may shrink; initialSlots is where
// the limit begins.
const (
	usualWeight  = 0.1
	warmup       = 3
	initialSlots = 2
)

func newPace(max int) *pace {
	return &pace{max: max, cur: float64(min(max, initialSlots)), thresh: float64(max)}
}

// limit is the number of starts this replica may run now.
func (p *pace) limit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(1, int(p.cur))
}

// observe takes the readiness time of a start; ok is false for a start
// that timed out.
func (p *pace) observe(took time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	slow := !ok || p.samples >= warmup && took > 2*p.usual
	if ok {
		p.samples++
		if p.samples == 1 {
			p.usual = took
		} else {
			p.usual += time.Duration(usualWeight * float64(took-p.usual))
		}
	}
	switch {
	case slow:
		p.cut()
	case p.cur < p.thresh:
		p.cur = min(p.thresh, p.cur+1)
	default:
		p.cur = min(float64(p.max), p.cur+1/p.cur)
	}
}

// squeeze cuts the limit as a slow start does: the replica is starved (see
// watchStarvation).
func (p *pace) squeeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut()
}

// cut lowers the limit by a quarter and remembers the level; p.mu is held.
func (p *pace) cut() {
	p.cur = max(1, p.cur*0.75)
	p.thresh = p.cur
}
