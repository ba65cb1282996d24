package proxy

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/spawnhub/spawnhub/auth"
)

// Why a connection is not registered.
var (
	errShuttingDown = errors.New("shutting down")
	errRevoked      = errors.New("credential revoked")
)

// trackedUpgrade is the ResponseWriter of a protocol upgrade that is not a
// websocket (ReverseProxy relays those itself): the client connection it
// hijacks joins the registry, so that an access change, a revoked session
// or token and shutdown close it, as they close websockets.
type trackedUpgrade struct {
	http.ResponseWriter
	p  *Proxy
	t  target
	id auth.Identity
}

func (u *trackedUpgrade) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// Hijack takes over the client connection and registers it.
func (u *trackedUpgrade) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(u.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	key := strings.Clone(u.t.key)
	c := &wsConn{p: u.p, raw: conn, key: key, ns: key[:len(u.t.ns)], id: u.id}
	if err := u.p.conns.add(c); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return &registeredConn{Conn: conn, c: c}, rw, nil
}

// registeredConn leaves the registry when ReverseProxy closes it.
type registeredConn struct {
	net.Conn
	c    *wsConn
	once sync.Once
}

func (r *registeredConn) Close() error {
	r.once.Do(func() { r.c.p.conns.remove(r.c) })
	return r.Conn.Close()
}
