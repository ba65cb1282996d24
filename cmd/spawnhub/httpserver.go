package main

import (
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
}

func defaultServerConfig() ServerConfig {
	return ServerConfig{
		ReadHeaderTimeout:    10 * time.Second,
		IdleTimeout:          2 * time.Minute,
		MaxPendingHeads:      4096,
		MaxPendingHeadsPerIP: 256,
		MinBodyRate:          1024,
		BodyRateWindow:       30 * time.Second,
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

// newHTTPServer returns the server for h, and the listener to serve it on
// in place of ln, both holding clients to c.
func newHTTPServer(h http.Handler, ln net.Listener, c ServerConfig, log *slog.Logger) (*http.Server, net.Listener) {
	gate := newHeadGate(c.MaxPendingHeads, c.MaxPendingHeadsPerIP, log)
	if c.MinBodyRate > 0 {
		h = newMinBodyRate(c.MinBodyRate, c.BodyRateWindow).wrap(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: c.ReadHeaderTimeout, IdleTimeout: c.IdleTimeout,
		ConnState: gate.track, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return srv, gate.listener(ln)
}
