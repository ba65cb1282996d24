package main

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Settings say how hard and how long each target is measured.
type Settings struct {
	Conns    int           `json:"conns"`      // keep-alive connections of the load
	Warmup   time.Duration `json:"warmupNs"`   // load before the measured window
	Duration time.Duration `json:"durationNs"` // measured window per target
	Echoes   int           `json:"echoes"`     // websocket round trips timed per target
	Idle     int           `json:"idle"`       // idle websockets per target (0: skip)
	Settle   time.Duration `json:"settleNs"`   // pause after the load, and before idle websockets' RSS is read
}

// target is one way to reach the backend.
type target struct {
	name   string
	base   string      // http://host:port
	proxy  procGroup   // the proxy's processes; nil for direct access
	header http.Header // replaces the run's headers when set
}

// Result is what was measured for one target. Times are in microseconds,
// memory in bytes; a zero means not measured.
type Result struct {
	Target         string  `json:"target"`
	RPS            float64 `json:"rps"`
	Requests       int64   `json:"requests"`
	Reconnects     int64   `json:"reconnects"`
	ProxyCPUus     float64 `json:"proxyCPUPerRequestUs"`
	ProxyInstr     float64 `json:"proxyInstructionsPerRequest,omitempty"` // under -callgrind
	BackendCPUus   float64 `json:"backendCPUPerRequestUs"`
	GeneratorCPUus float64 `json:"generatorCPUPerRequestUs"`
	WSP50us        float64 `json:"wsRoundTripP50Us"`
	WSP99us        float64 `json:"wsRoundTripP99Us"`
	WSDirectP50us  float64 `json:"wsDirectRoundTripP50Us"` // direct, timed in alternation with this target
	WSMsgPerSec    float64 `json:"wsMessagesPerSec"`       // echoed over wsLoadConns websockets
	WSProxyCPUus   float64 `json:"proxyCPUPerWSMessageUs"` // per echoed message (two relayed)
	IdleWebsockets int     `json:"idleWebsockets"`
	IdleBytesPerWS int64   `json:"idleBytesPerWebsocket"` // of the proxy; of the backend for direct
	Error          string  `json:"error,omitempty"`
}

// wsLoadConns is how many websockets carry the message load.
const wsLoadConns = 8

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// measure runs the GET load, the websocket round trips and the idle
// websockets against t. Every request goes to path under t.base with h;
// direct is the backend's own base, whose round trips are timed in
// alternation with a proxy's.
// A failure is recorded in Result.Error with what was measured before it.
func measure(ctx context.Context, s Settings, t target, direct string, backend procGroup, path string, h http.Header) Result {
	res := Result{Target: t.name}
	if t.header != nil {
		h = t.header
	}
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
	if lr.ProxyInstr > 0 && lr.Requests > 0 {
		res.ProxyInstr = float64(lr.ProxyInstr) / float64(lr.Requests)
	}
	if err := sleep(ctx, s.Settle); err != nil { // the proxy finishes with the load
		res.Error = err.Error()
		return res
	}
	ws := "ws" + strings.TrimPrefix(t.base, "http") + path + "ws"
	urls := []string{ws}
	if t.proxy != nil { // paired with direct access, echo by echo
		urls = append(urls, "ws"+strings.TrimPrefix(direct, "http")+path+"ws")
	}
	lat, err := RoundTrips(ctx, urls, h, s.Echoes/10, s.Echoes)
	if err != nil {
		res.Error = "round trips: " + err.Error()
		return res
	}
	res.WSP50us, res.WSP99us, res.WSDirectP50us = micros(lat[0].P50), micros(lat[0].P99), micros(lat[len(lat)-1].P50)
	wl, err := WSLoad(ctx, ws, h, wsLoadConns, s.Warmup, s.Duration, t.proxy)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.WSMsgPerSec = float64(wl.Messages) / wl.Elapsed.Seconds()
	if t.proxy != nil && wl.Messages > 0 {
		res.WSProxyCPUus = micros(wl.ProxyCPU) / float64(wl.Messages)
	}
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
