package main

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Settings say how hard and how long each target is measured.
type Settings struct {
	Conns    int           `json:"conns"`    // keep-alive connections of the load
	Warmup   time.Duration `json:"warmup"`   // load before the measured window
	Duration time.Duration `json:"duration"` // measured window per target
	Echoes   int           `json:"echoes"`   // websocket round trips timed per target
	Idle     int           `json:"idle"`     // idle websockets per target (0: skip)
	Settle   time.Duration `json:"settle"`   // how long idle websockets sit before RSS is read
}

// target is one way to reach the backend.
type target struct {
	name  string
	base  string    // http://host:port
	proxy procGroup // the proxy's processes; nil for direct access
}

// Result is what was measured for one target. Times are in microseconds,
// memory in bytes; a zero means not measured.
type Result struct {
	Target         string  `json:"target"`
	RPS            float64 `json:"rps"`
	Requests       int64   `json:"requests"`
	Reconnects     int64   `json:"reconnects"`
	ProxyCPUus     float64 `json:"proxyCPUPerRequestUs"`
	BackendCPUus   float64 `json:"backendCPUPerRequestUs"`
	GeneratorCPUus float64 `json:"generatorCPUPerRequestUs"`
	WSP50us        float64 `json:"wsRoundTripP50Us"`
	WSP99us        float64 `json:"wsRoundTripP99Us"`
	IdleWebsockets int     `json:"idleWebsockets"`
	IdleBytesPerWS int64   `json:"idleBytesPerWebsocket"` // of the proxy; of the backend for direct
	Error          string  `json:"error,omitempty"`
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// measure runs the GET load, the websocket round trips and the idle
// websockets against t. Every request goes to path under t.base with h.
// A failure is recorded in Result.Error with what was measured before it.
func measure(ctx context.Context, s Settings, t target, backend procGroup, path string, h http.Header) Result {
	res := Result{Target: t.name}
	cookie := map[string]string{}
	if c := h.Get("Cookie"); c != "" {
		cookie["Cookie"] = c
	}
	load := Load{URL: t.base + path + "api/status", Header: cookie, Conns: s.Conns, Warmup: s.Warmup, Dur: s.Duration}
	lr, err := load.Run(ctx, t.proxy, backend)
	if err != nil {
		res.Error = "load: " + err.Error()
		return res
	}
	res.RPS, res.Requests, res.Reconnects = lr.RPS(), lr.Requests, lr.Reconnect
	res.BackendCPUus, res.GeneratorCPUus = micros(lr.PerRequest(lr.BackendCPU)), micros(lr.PerRequest(lr.GenCPU))
	if t.proxy != nil {
		res.ProxyCPUus = micros(lr.PerRequest(lr.ProxyCPU))
	}
	ws := "ws" + strings.TrimPrefix(t.base, "http") + path + "ws"
	lat, err := RoundTrips(ctx, ws, h, s.Echoes/10, s.Echoes)
	if err != nil {
		res.Error = "round trips: " + err.Error()
		return res
	}
	res.WSP50us, res.WSP99us = micros(lat.P50), micros(lat.P99)
	if s.Idle <= 0 {
		return res
	}
	watch := t.proxy
	if watch == nil {
		watch = backend
	}
	mem, err := IdleWebsockets(ctx, ws, h, s.Idle, watch, s.Settle)
	if err != nil {
		res.Error = "idle websockets: " + err.Error()
		return res
	}
	res.IdleWebsockets, res.IdleBytesPerWS = mem.N, mem.BytesPerConn
	return res
}
