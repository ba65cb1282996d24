package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// wsInFlight is how many messages each websocket of the message load keeps
// on the way, so that the proxy, not the round trip, sets the pace.
const wsInFlight = 16

// WSLoadResult is what the websocket message load measured.
type WSLoadResult struct {
	Messages int64
	Elapsed  time.Duration
	ProxyCPU time.Duration
}

// add adds another window's counts to r's.
func (r *WSLoadResult) add(o WSLoadResult) {
	r.Messages += o.Messages
	r.Elapsed += o.Elapsed
	r.ProxyCPU += o.ProxyCPU
}

// WSLoad echoes small messages over conns websockets to url for dur
// (after warmup), each with wsInFlight messages on the way, and counts the
// echoes and the CPU time of proxy (nil: none) meanwhile.
func WSLoad(ctx context.Context, url string, h http.Header, conns int, warmup, dur time.Duration, proxy procGroup) (WSLoadResult, error) {
	cs, err := dialMany(ctx, url, h, conns)
	defer func() {
		for _, c := range cs {
			_ = c.Close()
		}
	}()
	if err != nil {
		return WSLoadResult{}, err
	}
	var counting atomic.Bool
	var echoed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(cs))
	msg := []byte(strings.Repeat("x", 100))
	for _, c := range cs {
		credit := make(chan struct{}, wsInFlight)
		wg.Go(func() { // writes while it has credit; ends at stop
			for {
				select {
				case <-stop:
					return
				case credit <- struct{}{}:
				}
				if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() { // reads echoes; ends at stop or when the connection fails
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					select {
					case <-stop:
					default:
						errs <- err
					}
					return
				}
				if counting.Load() {
					echoed.Add(1)
				}
				<-credit
			}
		})
	}
	res, err := timeWindow(ctx, warmup, dur, proxy, &counting, &echoed)
	close(stop)
	for _, c := range cs {
		_ = c.SetReadDeadline(time.Now()) // the readers end
	}
	wg.Wait()
	select {
	case e := <-errs:
		return res, e
	default:
	}
	return res, err
}

// timeWindow waits warmup, then counts echoes and proxy's CPU for dur.
func timeWindow(ctx context.Context, warmup, dur time.Duration, proxy procGroup, counting *atomic.Bool, echoed *atomic.Int64) (WSLoadResult, error) {
	if err := sleep(ctx, warmup); err != nil {
		return WSLoadResult{}, err
	}
	cpu0, _, err := proxy.sample()
	if err != nil {
		return WSLoadResult{}, err
	}
	start := time.Now()
	counting.Store(true)
	if err := sleep(ctx, dur); err != nil {
		return WSLoadResult{}, err
	}
	counting.Store(false)
	res := WSLoadResult{Messages: echoed.Load(), Elapsed: time.Since(start)}
	cpu1, _, err := proxy.sample()
	res.ProxyCPU = cpu1 - cpu0
	return res, err
}
