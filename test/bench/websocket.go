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
	HandshakeTimeout: 10 * time.Second, NetDialContext: dialLoopback,
	ReadBufferSize: 1024, WriteBufferSize: 1024,
}

// Latency is a distribution of websocket round trips.
type Latency struct {
	N        int
	P50, P99 time.Duration
}

// RoundTrips opens one websocket to each of urls and times n echoes of a
// small message on each (after warmup untimed ones), alternating between
// them echo by echo so that a noisy moment on the machine hits all alike.
func RoundTrips(ctx context.Context, urls []string, h http.Header, warmup, n int) ([]Latency, error) {
	conns := make([]*websocket.Conn, 0, len(urls))
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for _, u := range urls {
		c, _, err := dialer.DialContext(ctx, u, h)
		if err != nil {
			return nil, fmt.Errorf("websocket %s: %w", u, err)
		}
		conns = append(conns, c)
	}
	msg := []byte(strings.Repeat("x", 100))
	times := make([][]time.Duration, len(urls))
	for i := range warmup + n {
		for j, c := range conns {
			d, err := roundTrip(c, msg)
			if err != nil {
				return nil, fmt.Errorf("websocket %s: %w", urls[j], err)
			}
			if i >= warmup {
				times[j] = append(times[j], d)
			}
		}
	}
	out := make([]Latency, len(urls))
	for j, t := range times {
		slices.Sort(t)
		out[j] = Latency{N: n, P50: percentile(t, 0.50), P99: percentile(t, 0.99)}
	}
	return out, nil
}

func roundTrip(c *websocket.Conn, msg []byte) (time.Duration, error) {
	start := time.Now()
	if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
		return 0, err
	}
	_, _, err := c.ReadMessage()
	return time.Since(start), err
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
