package proxy

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// activityLog remembers, in memory, when each server was last used since the
// previous flush. Marking is a map lookup and an atomic store; the flusher
// sends the batch to the store every few seconds.
type activityLog struct {
	mu    sync.RWMutex
	marks map[string]*activityMark
}

type activityMark struct {
	key  store.Key
	last atomic.Int64  // unix nanoseconds; 0 when nothing happened since the last flush
	src  atomic.Uint32 // the activitySource of last
	// kernel is the kernel of last when src is srcKernel (nil: unknown).
	kernel atomic.Pointer[kernelName]
}

func newActivityLog() *activityLog {
	return &activityLog{marks: make(map[string]*activityMark)}
}

// mark records an HTTP request on key ("ns/server") at t.
func (a *activityLog) mark(key string, t time.Time) {
	a.markNanos(key, t.UnixNano(), srcRequest, nil)
}

// markFrom records activity of source src on key at t, in kernel k when
// src is srcKernel (nil: unknown). It allocates only the first time a key
// is seen since it was last idle for a whole flush period.
func (a *activityLog) markFrom(key string, t time.Time, src activitySource, k *kernelName) {
	a.markNanos(key, t.UnixNano(), src, k)
}

func (a *activityLog) markNanos(key string, ns int64, src activitySource, k *kernelName) {
	a.mu.RLock()
	m := a.marks[key]
	if m != nil {
		m.set(ns, src, k)
	}
	a.mu.RUnlock()
	if m != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	m = a.marks[key]
	if m == nil {
		k, ok := store.ParseKey(key)
		if !ok {
			return
		}
		m = &activityMark{key: k}
		a.marks[strings.Clone(key)] = m
	}
	m.set(ns, src, k)
}

// set records ns, its source and kernel unless a later time is there. Two
// marks racing may pair one's time with the other's source: both were
// activity.
func (m *activityMark) set(ns int64, src activitySource, k *kernelName) {
	if storeMax(&m.last, ns) {
		m.src.Store(uint32(src))
		m.kernel.Store(k)
	}
}

// storeMax stores v in x unless x already holds a later time, and reports
// whether it stored it.
func storeMax(x *atomic.Int64, v int64) bool {
	for {
		old := x.Load()
		if old >= v {
			return false
		}
		if x.CompareAndSwap(old, v) {
			return true
		}
	}
}

// take returns the activity since the last take, and forgets the servers
// that had none (so that the map only holds servers in use).
func (a *activityLog) take() map[store.Key]store.Mark {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out map[store.Key]store.Mark
	for k, m := range a.marks {
		ns := m.last.Swap(0)
		if ns == 0 {
			delete(a.marks, k)
			continue
		}
		if out == nil {
			out = make(map[store.Key]store.Mark)
		}
		out[m.key] = store.Mark{At: time.Unix(0, ns), Source: m.source()}
	}
	return out
}

// source is the store's name of the mark's source, with its kernel's
// name when known ("kernel:python3").
func (m *activityMark) source() string {
	src := activitySource(m.src.Load())
	if src == srcKernel {
		return store.KernelSource(m.kernel.Load().String())
	}
	return src.String()
}

// restore puts back marks that could not be written.
func (a *activityLog) restore(marks map[store.Key]store.Mark) {
	for k, m := range marks {
		src, kernel := sourceNamed(m.Source)
		a.markNanos(k.String(), m.At.UnixNano(), src, kernel)
	}
}

// flushActivity writes the activity since the last flush to the store.
func (p *Proxy) flushActivity(ctx context.Context) {
	marks := p.activity.take()
	if len(marks) == 0 {
		return
	}
	if err := p.opts.Activity.RecordActivity(ctx, marks); err != nil {
		p.activity.restore(marks)
		p.log.WarnContext(ctx, "activity not recorded; will retry", "servers", len(marks), "err", err)
	}
}

// flushLoop flushes activity on every tick, and once more when ctx is done
// (with a fresh deadline), then returns.
func (p *Proxy) flushLoop(ctx context.Context, tick <-chan time.Time) error {
	for {
		select {
		case <-tick:
			p.flushActivity(ctx)
		case <-ctx.Done():
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			p.flushActivity(ctx)
			return nil
		}
	}
}
