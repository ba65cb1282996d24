package auth

import (
	"context"
	"sync"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// namespaceTTL bounds how long a cached namespace is trusted when a change
// notification was lost; changes normally arrive through pub/sub at once.
const namespaceTTL = 30 * time.Second

// AccessSubscriber delivers the store's namespace change notifications.
type AccessSubscriber interface {
	Subscribe(ctx context.Context, topic string) (<-chan string, error)
}

// namespaceCache keeps namespaces (owner, contributors) in memory, so that
// contributors reaching a shared server through the proxy cost no store
// round trip per request.
type namespaceCache struct {
	src NamespaceReader
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedNamespace
	// listeners hear about every namespace whose access changed, after
	// the cache has dropped it.
	listeners []func(ns string)
}

type cachedNamespace struct {
	ns      store.Namespace
	err     error // store.ErrNotFound is cached too
	expires time.Time
}

func newNamespaceCache(src NamespaceReader, now func() time.Time) *namespaceCache {
	return &namespaceCache{src: src, now: now, entries: map[string]cachedNamespace{}}
}

// GetNamespace returns the namespace from the cache or the store.
func (c *namespaceCache) GetNamespace(ctx context.Context, name string) (store.Namespace, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[name]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.ns, e.err
	}
	n, err := c.src.GetNamespace(ctx, name)
	if err != nil && !isNotFound(err) {
		return store.Namespace{}, err // not cached: the store may come back
	}
	c.mu.Lock()
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	c.entries[name] = cachedNamespace{ns: n, err: err, expires: now.Add(namespaceTTL)}
	c.mu.Unlock()
	return n, err
}

// drop forgets a namespace ("" forgets all), then tells the listeners.
func (c *namespaceCache) drop(name string) {
	c.mu.Lock()
	if name == "" {
		clear(c.entries)
	} else {
		delete(c.entries, name)
	}
	listeners := c.listeners
	c.mu.Unlock()
	for _, l := range listeners {
		l(name)
	}
}

// OnAccessChange registers fn to hear about every namespace whose sharing
// changed ("" means any may have), after the policy forgot the old state:
// the proxy closes the websockets of people who lost access.
func (p *Policy) OnAccessChange(fn func(ns string)) {
	p.cache.mu.Lock()
	p.cache.listeners = append(p.cache.listeners, fn)
	p.cache.mu.Unlock()
}

// Run follows namespace changes published by any replica until ctx is
// done; a store that is down delays them (cached namespaces expire within
// namespaceTTL anyway), it does not stop the replica.
func (p *Policy) Run(ctx context.Context, sub AccessSubscriber) error {
	store.Follow(ctx, sub, store.TopicAccess, p.cache.drop, store.FollowOptions{})
	return nil
}
