package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"
)

// registry knows every open websocket, by namespace, for pings, access
// rechecks and shutdown.
type registry struct {
	mu      sync.Mutex
	byNS    map[string]map[*wsConn]struct{}
	n       int
	closing bool
	open    sync.WaitGroup
	onCount func(int) // reports the number of open websockets
	// revoked are the sessions and tokens revoked lately, until when they
	// are remembered: a connection that was being opened while its
	// credential was revoked (authenticated before, registered after) is
	// refused too.
	revoked map[string]time.Time
}

// revokedMemory is how long a revocation is remembered for connections
// being opened; opening one takes at most the dial and handshake timeouts.
const revokedMemory = 2 * time.Minute

func newRegistry() *registry {
	return &registry{byNS: make(map[string]map[*wsConn]struct{}), onCount: func(int) {}, revoked: map[string]time.Time{}}
}

// revoke remembers a revoked credential (a session id or a token hash).
func (g *registry) revoke(cred string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c, until := range g.revoked {
		if now.After(until) {
			delete(g.revoked, c)
		}
	}
	g.revoked[cred] = now.Add(revokedMemory)
}

// add registers c; errShuttingDown once shutdown has begun, errRevoked
// when c's credential was revoked while it was being opened.
func (g *registry) add(c *wsConn) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return errShuttingDown
	}
	if g.wasRevoked(c.id.SessionID) || g.wasRevoked(c.id.TokenHash) {
		return errRevoked
	}
	m := g.byNS[c.ns]
	if m == nil {
		m = make(map[*wsConn]struct{})
		g.byNS[c.ns] = m
	}
	m[c] = struct{}{}
	g.n++
	g.onCount(g.n)
	g.open.Add(1)
	return nil
}

func (g *registry) wasRevoked(cred string) bool {
	_, ok := g.revoked[cred]
	return cred != "" && ok
}

func (g *registry) remove(c *wsConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.byNS[c.ns]
	if _, ok := m[c]; !ok {
		return
	}
	delete(m, c)
	if len(m) == 0 {
		delete(g.byNS, c.ns)
	}
	g.n--
	g.onCount(g.n)
	g.open.Done()
}

// list returns the open websockets of namespace ns, or all when ns is "".
func (g *registry) list(ns string) []*wsConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*wsConn
	for n, m := range g.byNS {
		if ns != "" && n != ns {
			continue
		}
		for c := range m {
			out = append(out, c)
		}
	}
	return out
}

func (g *registry) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

func (g *registry) isClosing() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closing
}

// shutdown refuses new websockets from now on.
func (g *registry) shutdown() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closing = true
}

// forEach calls f on every connection, a few at a time (a slow peer can
// hold a call for up to the write timeout).
func forEach(conns []*wsConn, f func(*wsConn)) {
	var g errgroup.Group
	g.SetLimit(16)
	for _, c := range conns {
		g.Go(func() error { f(c); return nil })
	}
	_ = g.Wait()
}

// Recheck asks Access again for every open websocket of namespace ns ("":
// every namespace) and closes those whose user may no longer connect, with
// close code 1008 (policy violation).
func (p *Proxy) Recheck(ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	revoked := websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "access withdrawn")
	forEach(p.conns.list(ns), func(c *wsConn) {
		if !p.opts.Access.CanConnect(ctx, c.id, c.ns) {
			p.log.InfoContext(ctx, "websocket closed: access withdrawn", "server", c.key, "user", c.id.UserID)
			c.stop(revoked, goingAway)
		}
	})
}

// Revoked closes the websockets opened with the session or the API token
// (by hash) that was just revoked, with close code 1008; both empty (a
// resync: revocations may have been missed) checks every one. auth calls
// it after its cache has forgotten the credential
// (auth.Authenticator.OnRevoke).
func (p *Proxy) Revoked(sessionID, tokenHash string) {
	switch {
	case sessionID != "":
		p.closeWhere(sessionID, "session revoked", func(c *wsConn) string { return c.id.SessionID })
	case tokenHash != "":
		p.closeWhere(tokenHash, "token revoked", func(c *wsConn) string { return c.id.TokenHash })
	default:
		p.closeInvalid("credential revoked")
	}
}

// closeWhere closes the websockets whose credential is cred.
func (p *Proxy) closeWhere(cred, reason string, credOf func(*wsConn) string) {
	p.conns.revoke(cred, time.Now())
	revoked := websocket.FormatCloseMessage(websocket.ClosePolicyViolation, reason)
	forEach(p.conns.list(""), func(c *wsConn) {
		if credOf(c) == cred {
			c.stop(revoked, goingAway)
		}
	})
}

// closeInvalid closes the connections whose credential no longer holds,
// asking the store; one it cannot ask about stays open.
func (p *Proxy) closeInvalid(reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	revoked := websocket.FormatCloseMessage(websocket.ClosePolicyViolation, reason)
	forEach(p.conns.list(""), func(c *wsConn) {
		if ok, err := p.opts.Auth.StillValid(ctx, c.id); err == nil && !ok {
			c.stop(revoked, goingAway)
		}
	})
}

// CloseWebsockets sends every open websocket's two sides a close frame 1001
// ("going away") and returns when all are closed; new upgrades get 503. Call
// it at shutdown, after or with http.Server.Shutdown, which does not know
// hijacked connections.
func (p *Proxy) CloseWebsockets() {
	p.conns.shutdown()
	forEach(p.conns.list(""), func(c *wsConn) { c.stop(goingAway, goingAway) })
	p.conns.open.Wait()
}

// pingLoop pings every websocket client on each tick until ctx is done.
func (p *Proxy) pingLoop(ctx context.Context, tick <-chan time.Time) error {
	for {
		select {
		case <-tick:
			forEach(p.conns.list(""), (*wsConn).ping)
		case <-ctx.Done():
			return nil
		}
	}
}
