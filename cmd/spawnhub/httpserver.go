package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerConfig holds slow, stalled and idle clients to account (server.*),
// so that a slowloris cannot take the file descriptors others need.
// There is deliberately no write timeout nor total read timeout: long
// polls, server-sent events, websockets and big uploads last for hours.
type ServerConfig struct {
	// ReadHeaderTimeout bounds the time to send a request head.
	ReadHeaderTimeout time.Duration `yaml:"readHeaderTimeout"`
	// IdleTimeout closes keep-alive connections idle longer.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// MaxPendingHeads caps connections waiting for a request head (new
	// ones and idle keep-alives); the oldest are closed to admit more.
	MaxPendingHeads int `yaml:"maxPendingHeads"`
	// MaxPendingHeadsPerIP caps connections of one client address that
	// are sending a head (idle ones do not count); 0: no such cap.
	MaxPendingHeadsPerIP int `yaml:"maxPendingHeadsPerIP"`
	// MinBodyRate (bytes per second, over BodyRateWindow) a request body
	// must keep up while the server waits for it; 0: no minimum.
	MinBodyRate    int           `yaml:"minBodyRate"`
	BodyRateWindow time.Duration `yaml:"bodyRateWindow"`
	// LeanPath serves the simple requests of workspace origins (bodiless
	// GET and HEAD for a running server) with the lean server loop
	// (leanconn.go) instead of net/http's server; false: net/http serves
	// every request.
	LeanPath bool `yaml:"leanPath"`
}

func defaultServerConfig() ServerConfig {
	return ServerConfig{
		ReadHeaderTimeout:    10 * time.Second,
		IdleTimeout:          2 * time.Minute,
		MaxPendingHeads:      4096,
		MaxPendingHeadsPerIP: 256,
		MinBodyRate:          1024,
		BodyRateWindow:       30 * time.Second,
		LeanPath:             true,
	}
}

func (s ServerConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.ReadHeaderTimeout <= 0 {
		add("server.readHeaderTimeout: must be positive")
	}
	if s.IdleTimeout <= 0 {
		add("server.idleTimeout: must be positive")
	}
	if s.MaxPendingHeads < 1 {
		add("server.maxPendingHeads: at least 1")
	}
	if s.MaxPendingHeadsPerIP < 0 || s.MaxPendingHeadsPerIP > s.MaxPendingHeads {
		add("server.maxPendingHeadsPerIP: %d is not between 0 (no cap) and server.maxPendingHeads (%d)", s.MaxPendingHeadsPerIP, s.MaxPendingHeads)
	}
	if s.MinBodyRate < 0 {
		add("server.minBodyRate: must not be negative (0 turns it off)")
	}
	if s.MinBodyRate > 0 && s.BodyRateWindow < time.Second {
		add("server.bodyRateWindow: at least 1s")
	}
	return errors.Join(errs...)
}

// httpServer is the replica's HTTP server: net/http's, and the lean
// server loop in front of it when there is one.
type httpServer struct {
	*http.Server
	lean *leanListener // nil without a lean path
}

// newHTTPServer returns the server for h, and the listener to serve it on
// in place of ln, both holding clients to c. fast, when not nil and
// c.LeanPath, serves requests on the lean path (leanListener).
func newHTTPServer(h http.Handler, fast func(http.ResponseWriter, *http.Request) bool, ln net.Listener, c ServerConfig, log *slog.Logger) (*httpServer, net.Listener) {
	gate := newHeadGate(c.MaxPendingHeads, c.MaxPendingHeadsPerIP, log)
	if c.MinBodyRate > 0 {
		h = newMinBodyRate(c.MinBodyRate, c.BodyRateWindow).wrap(h)
	}
	srv := &httpServer{Server: &http.Server{Handler: h, ReadHeaderTimeout: c.ReadHeaderTimeout, IdleTimeout: c.IdleTimeout,
		ConnState: gate.track, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	ln = gate.listener(ln)
	if fast != nil && c.LeanPath {
		srv.lean = newLeanListener(ln, srv.Server, fast, log)
		ln = srv.lean
	}
	return srv, ln
}

// Shutdown shuts net/http's server down, then waits for the lean path's
// connections.
func (s *httpServer) Shutdown(ctx context.Context) error {
	err := s.Server.Shutdown(ctx)
	if s.lean != nil {
		err = errors.Join(err, s.lean.drain(ctx))
	}
	return err
}
