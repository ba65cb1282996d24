package proxy

import (
	"strings"
	"sync"
	"sync/atomic"
)

// routeCache keeps the upstream of every server this replica has recently
// relayed to, keyed by "ns/server" (store.Key.String()). Only positive
// answers are cached, so a server is reachable as soon as its route is set.
// The cache is enabled only while the invalidation subscription runs: without
// it every lookup goes to the store.
type routeCache struct {
	mu      sync.RWMutex
	entries map[string]*upstream
	enabled bool
	// gen changes on every invalidation; a lookup that raced with one does
	// not fill the cache with what may be a stale answer.
	gen atomic.Uint64
}

func newRouteCache() *routeCache {
	return &routeCache{entries: make(map[string]*upstream)}
}

// get returns the cached upstream of key, or nil. It does not allocate.
func (c *routeCache) get(key string) *upstream {
	c.mu.RLock()
	u := c.entries[key]
	c.mu.RUnlock()
	return u
}

// generation is read before asking the store; pass it to put.
func (c *routeCache) generation() uint64 { return c.gen.Load() }

// put caches u unless the cache was invalidated since gen was read.
func (c *routeCache) put(key string, gen uint64, u *upstream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enabled && c.gen.Load() == gen {
		c.entries[strings.Clone(key)] = u
	}
}

// drop forgets key.
func (c *routeCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	delete(c.entries, key)
}

// dropIf forgets key if it still maps to u (after u failed to connect).
func (c *routeCache) dropIf(key string, u *upstream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[key] == u {
		c.gen.Add(1)
		delete(c.entries, key)
	}
}

// reset forgets everything and turns caching on or off.
func (c *routeCache) reset(enabled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	clear(c.entries)
	c.enabled = enabled
}

func (c *routeCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
