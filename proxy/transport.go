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
	d := newDialer(o)
	return h1.New(h1.Options{
		Dial:           d.DialContext,
		HeaderTimeout:  o.ResponseHeaderTimeout,
		MaxIdlePerHost: 256,
		IdleTimeout:    idleConnTimeout,
		Other:          newStdTransport(o, d),
	})
}

func newDialer(o Options) *net.Dialer {
	return &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
}

// newStdTransport relays what the lean transport does not: many idle
// connections per server, HTTP/1.1 only, no environment proxies, and no
// transparent decompression (the client's Accept-Encoding is passed on).
func newStdTransport(o Options, d *net.Dialer) *http.Transport {
	return &http.Transport{
		DialContext:           d.DialContext,
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
