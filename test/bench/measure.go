package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Settings say how hard and how long each target is measured.
type Settings struct {
	Conns    int           `json:"conns"`      // keep-alive connections of the load
	Warmup   time.Duration `json:"warmupNs"`   // load before the measured window
	Duration time.Duration `json:"durationNs"` // measured window per target, over all rounds
	Rounds   int           `json:"rounds"`     // the loads' windows are taken in turn, this many each
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
	stop   func()      // stops the proxy the run started; nil for the others
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

// bench is what every target of a run is measured against.
type bench struct {
	s       Settings
	direct  string    // the backend's own base, for round trips timed in alternation
	backend procGroup // the backend's process
	path    string    // the workspace's path under every base
	header  http.Header
	log     *slog.Logger
}

// measureAll measures every target: the GET load and the websocket message
// load in s.Rounds rounds, each taking every target in turn for its share
// of s.Duration (so that a burst of a noisy neighbour weighs on all alike
// rather than on the one measured then), then each target's websocket
// round trips and idle websockets. A target's failure is recorded in its
// Result.Error with what was measured before it; the others go on.
func (b bench) measureAll(ctx context.Context, ts []target) []Result {
	res := make([]Result, len(ts))
	for i, t := range ts {
		res[i].Target = t.name
	}
	gets := make([]LoadResult, len(ts))
	b.inRounds(ctx, ts, res, "load", func(i int, t target, d time.Duration) error {
		lr, err := b.load(t, d).Run(ctx, t.proxy, b.backend)
		gets[i].add(lr)
		return err
	})
	for i, t := range ts {
		res[i].setLoad(gets[i], t.proxy != nil)
	}
	if err := sleep(ctx, b.s.Settle); err != nil { // the proxies finish with the load
		return res
	}
	for i, t := range ts {
		if res[i].Error == "" {
			res[i].Error = prefixed("round trips", b.roundTrips(ctx, t, &res[i]))
		}
	}
	wls := make([]WSLoadResult, len(ts))
	b.inRounds(ctx, ts, res, "websocket load", func(i int, t target, d time.Duration) error {
		wl, err := WSLoad(ctx, b.websocket(t), b.headerOf(t), wsLoadConns, b.s.Warmup, d, t.proxy)
		wls[i].add(wl)
		return err
	})
	for i, t := range ts {
		res[i].setWSLoad(wls[i], t.proxy != nil)
		if res[i].Error == "" && b.s.Idle > 0 {
			res[i].Error = prefixed("idle websockets", b.idle(ctx, t, &res[i]))
		}
	}
	return res
}

// inRounds runs one share of a load per round for each target still
// without an error, recording the first error of each.
func (b bench) inRounds(ctx context.Context, ts []target, res []Result, what string, share func(int, target, time.Duration) error) {
	rounds := max(b.s.Rounds, 1)
	for round := range rounds {
		for i, t := range ts {
			if res[i].Error != "" || ctx.Err() != nil {
				continue
			}
			b.log.Info("measuring", "what", what, "round", round+1, "target", t.name)
			if err := share(i, t, b.s.Duration/time.Duration(rounds)); err != nil {
				res[i].Error = prefixed(what, err)
			}
		}
	}
}

func prefixed(what string, err error) string {
	if err == nil {
		return ""
	}
	return what + ": " + err.Error()
}

func (b bench) headerOf(t target) http.Header {
	if t.header != nil {
		return t.header
	}
	return b.header
}

func (b bench) load(t target, d time.Duration) Load {
	cookie := map[string]string{}
	if c := b.headerOf(t).Get("Cookie"); c != "" {
		cookie["Cookie"] = c
	}
	return Load{URL: t.base + b.path + "api/status", Header: cookie, Conns: b.s.Conns, Warmup: b.s.Warmup, Dur: d}
}

func (b bench) websocket(t target) string {
	return "ws" + strings.TrimPrefix(t.base, "http") + b.path + "ws"
}

// setLoad fills in what the GET load measured.
func (r *Result) setLoad(lr LoadResult, proxied bool) {
	if lr.Elapsed <= 0 {
		return
	}
	r.RPS, r.Requests, r.Reconnects = lr.RPS(), lr.Requests, lr.Reconnect
	r.BackendCPUus, r.GeneratorCPUus = micros(lr.PerRequest(lr.BackendCPU)), micros(lr.PerRequest(lr.GenCPU))
	if proxied {
		r.ProxyCPUus = micros(lr.PerRequest(lr.ProxyCPU))
	}
	if lr.ProxyInstr > 0 && lr.Requests > 0 {
		r.ProxyInstr = float64(lr.ProxyInstr) / float64(lr.Requests)
	}
}

// roundTrips times websocket echoes through t, paired echo by echo with
// direct access when t is a proxy.
func (b bench) roundTrips(ctx context.Context, t target, r *Result) error {
	urls := []string{b.websocket(t)}
	if t.proxy != nil {
		urls = append(urls, b.websocket(target{base: b.direct}))
	}
	lat, err := RoundTrips(ctx, urls, b.headerOf(t), b.s.Echoes/10, b.s.Echoes)
	if err != nil {
		return err
	}
	r.WSP50us, r.WSP99us, r.WSDirectP50us = micros(lat[0].P50), micros(lat[0].P99), micros(lat[len(lat)-1].P50)
	return nil
}

// setWSLoad fills in what the websocket message load measured.
func (r *Result) setWSLoad(wl WSLoadResult, proxied bool) {
	if wl.Elapsed <= 0 {
		return
	}
	r.WSMsgPerSec = float64(wl.Messages) / wl.Elapsed.Seconds()
	if proxied && wl.Messages > 0 {
		r.WSProxyCPUus = micros(wl.ProxyCPU) / float64(wl.Messages)
	}
}

// idle opens s.Idle idle websockets through t and reads the memory each
// takes: the proxy's, or the backend's for direct access.
func (b bench) idle(ctx context.Context, t target, r *Result) error {
	watch := t.proxy
	if watch == nil {
		watch = b.backend
	}
	mem, err := IdleWebsockets(ctx, b.websocket(t), b.headerOf(t), b.s.Idle, watch, b.s.Settle)
	if err != nil {
		return err
	}
	r.IdleWebsockets, r.IdleBytesPerWS = mem.N, mem.BytesPerConn
	return nil
}
