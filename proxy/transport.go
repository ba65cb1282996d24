package proxy

import (
	"net"
	"net/http"
	"time"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
)

// idleConnTimeout is how long an idle upstream connection is kept.
const idleConnTimeout = 90 * time.Second

// newTransport is the one transport shared by every upstream: bodiless
// plain-HTTP requests go over the lean HTTP/1.1 client's pooled
// connections, the rest over an http.Transport (see newStdTransport).
func newTransport(o Options) *h1.Transport {
	dial := newDial(o)
	return h1.New(h1.Options{
		Dial:           dial,
		HeaderTimeout:  o.ResponseHeaderTimeout,
		MaxIdlePerHost: 256,
		IdleTimeout:    idleConnTimeout,
		Other:          newStdTransport(o, dial),
	})
}

// newDial is how every connection to a workspace is opened, HTTP and
// websocket: with TCP_NODELAY and prompt ACKs (see upstreamDial).
func newDial(o Options) dialFunc {
	d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	return upstreamDial(d, o.DelayedAcks)
}

// newStdTransport relays what the lean transport does not: many idle
// connections per server, HTTP/1.1 only, no environment proxies, and no
// transparent decompression (the client's Accept-Encoding is passed on).
func newStdTransport(o Options, dial dialFunc) *http.Transport {
	return &http.Transport{
		DialContext:           dial,
		ForceAttemptHTTP2:     false,
		MaxIdleConns:          0, // no total limit; per server below
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}
