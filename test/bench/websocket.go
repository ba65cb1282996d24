package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

var dialer = websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	ReadBufferSize:   1024, WriteBufferSize: 1024,
}

// Latency is a distribution of websocket round trips.
type Latency struct {
	N        int
	P50, P99 time.Duration
}

// RoundTrips sends n small messages over one websocket to url, one at a
// time, and times each echo (after warmup untimed ones).
func RoundTrips(ctx context.Context, url string, h http.Header, warmup, n int) (Latency, error) {
	c, _, err := dialer.DialContext(ctx, url, h)
	if err != nil {
		return Latency{}, fmt.Errorf("websocket %s: %w", url, err)
	}
	defer c.Close()
	msg := []byte(strings.Repeat("x", 100))
	times := make([]time.Duration, 0, n)
	for i := range warmup + n {
		start := time.Now()
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			return Latency{}, fmt.Errorf("websocket %s: %w", url, err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			return Latency{}, fmt.Errorf("websocket %s: %w", url, err)
		}
		if i >= warmup {
			times = append(times, time.Since(start))
		}
	}
	slices.Sort(times)
	return Latency{N: n, P50: percentile(times, 0.50), P99: percentile(times, 0.99)}, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// IdleMemory is what n idle websockets cost the watched processes.
type IdleMemory struct {
	N            int
	RSSBefore    int64
	RSSAfter     int64
	BytesPerConn int64
}

// IdleWebsockets opens n websockets to url, lets them sit for settle,
// measures watch's resident memory, and closes them.
func IdleWebsockets(ctx context.Context, url string, h http.Header, n int, watch procGroup, settle time.Duration) (IdleMemory, error) {
	_, before, err := watch.sample()
	if err != nil {
		return IdleMemory{}, err
	}
	conns, err := dialMany(ctx, url, h, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	if err != nil {
		return IdleMemory{}, err
	}
	if err := sleep(ctx, settle); err != nil {
		return IdleMemory{}, err
	}
	_, after, err := watch.sample()
	if err != nil {
		return IdleMemory{}, err
	}
	return IdleMemory{N: n, RSSBefore: before, RSSAfter: after, BytesPerConn: (after - before) / int64(n)}, nil
}

// dialMany opens n websockets with a few dialers in parallel; it returns
// those it opened, and the first error.
func dialMany(ctx context.Context, url string, h http.Header, n int) ([]*websocket.Conn, error) {
	const parallel = 8
	var (
		mu       sync.Mutex
		conns    = make([]*websocket.Conn, 0, n)
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range parallel {
		wg.Go(func() { // ends when every dial is done or one failed
			for range next {
				c, _, err := dialer.DialContext(ctx, url, h)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("websocket %d to %s: %w", len(conns), url, err)
				}
				if err == nil {
					conns = append(conns, c)
				}
				stop := firstErr != nil
				mu.Unlock()
				if stop {
					return
				}
			}
		})
	}
	wg.Wait()
	return conns, firstErr
}
