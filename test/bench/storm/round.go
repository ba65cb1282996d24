package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Row is one round's numbers.
type Row struct {
	Users        int
	Running      int
	Errors       int64
	TooMany      int64 // 429 answers
	Elapsed      time.Duration
	LaunchesPerS float64
	MeP50, MeP99 time.Duration
	MeCount      int
	RedisPerLaun float64
	KubePerLaun  float64 // -1 without Kubernetes
	FirstError   string
	Killed       bool   // a replica was killed with SIGKILL during the round
	Streams      int64  // progress streams opened (one per launch unless one broke)
	RedisTop     string // the commands most sent per launch (probes included)
}

// user is one signed-in user, on one replica.
type user struct {
	mu     sync.Mutex
	base   string
	ns     string
	name   string
	client *http.Client
	stream *http.Client // the same session without a timeout, for progress streams
}

// round signs in n users spread over the replicas, has them launch within
// o.Window, waits until every server runs, then stops them all.
func (e *env) round(ctx context.Context, tag string, n int, o Options) (Row, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	row := Row{Users: n}
	users := make([]*user, n)
	for i := range users {
		u, err := e.login(ctx, e.urls[i%len(e.urls)], fmt.Sprintf("%s-u%d", tag, i))
		if err != nil {
			return row, err
		}
		users[i] = u
	}
	perProbe, err := e.probeCost(ctx, users[0])
	if err != nil {
		return row, err
	}
	calls0, err := e.redisCallsBy(ctx)
	if err != nil {
		return row, err
	}
	kube0, err := kubeCalls(ctx, o)
	if err != nil {
		return row, err
	}
	probeCtx, stopProbes := context.WithCancel(ctx)
	lat := make(chan []time.Duration, 1)
	go func() { lat <- probe(probeCtx, users[0], o.Probes, e.urls) }() // ends with probeCtx
	var errs, tooMany, accepted, streams atomic.Int64
	killed := make(chan struct{})
	var killOnce sync.Once
	var firstErr atomic.Value
	began := time.Now()
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			if err := sleepCtx(ctx, o.Window*time.Duration(i)/time.Duration(n)); err != nil {
				return
			}
			onAccepted := func() {
				if o.KillAt > 0 && accepted.Add(1) == int64(o.KillAt) {
					killOnce.Do(func() {
						e.log.Info("killing replica 0 with SIGKILL", "after", o.KillAt)
						e.kill(0)
						close(killed)
					})
				}
			}
			if err := u.launchAndWait(ctx, &tooMany, onAccepted, e.urls, func() { streams.Add(1) }); err != nil {
				errs.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
		})
	}
	wg.Wait()
	row.Elapsed = time.Since(began)
	stopProbes()
	samples := <-lat
	calls1, err := e.redisCallsBy(context.Background())
	if err != nil {
		return row, err
	}
	kube1, err := kubeCalls(context.Background(), o)
	if err != nil {
		return row, err
	}
	row.KubePerLaun = -1
	if o.KubeCalls != nil {
		row.KubePerLaun = float64(kube1-kube0) / float64(n)
	}
	row.Errors, row.TooMany, row.Streams = errs.Load(), tooMany.Load(), streams.Load()
	row.Running = n - int(row.Errors)
	row.LaunchesPerS = float64(row.Running) / row.Elapsed.Seconds()
	row.MeCount = len(samples)
	row.MeP50, row.MeP99 = percentile(samples, 0.50), percentile(samples, 0.99)
	row.RedisPerLaun = (float64(sum(calls1)-sum(calls0)) - perProbe*float64(len(samples))) / float64(n)
	row.RedisTop = topCommands(calls0, calls1, n, 14)
	if s, ok := firstErr.Load().(string); ok {
		row.FirstError = s
	}
	e.stopAll(users)
	select {
	case <-killed:
		row.Killed = true
		if err := e.restart[0](); err != nil {
			return row, err
		}
	default:
	}
	return row, nil
}

func kubeCalls(ctx context.Context, o Options) (int64, error) {
	if o.KubeCalls == nil {
		return 0, nil
	}
	return o.KubeCalls(ctx)
}

func (e *env) login(ctx context.Context, base, name string) (*user, error) {
	jar := &cookieJar{}
	c := &http.Client{Timeout: 60 * time.Second, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login",
		strings.NewReader(url.Values{"username": {name}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", name, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("login %s: status %d, want 303", name, res.StatusCode)
	}
	var me struct{ Namespace string }
	u := &user{base: base, client: c, stream: &http.Client{Jar: jar}}
	if _, err := u.call(ctx, http.MethodGet, "/api/v1/me", nil, &me); err != nil {
		return nil, err
	}
	u.ns = me.Namespace
	return u, nil
}

type serverJSON struct{ Name, Phase, Message string }

// launchAndWait launches a demo server and follows it on its progress
// stream until it runs. A replica that stops answering is left for the
// next one in urls.
func (u *user) launchAndWait(ctx context.Context, tooMany *atomic.Int64, accepted func(), urls []string, streams func()) error {
	var srv serverJSON
	status, err := u.failover(urls, func() (int, error) {
		return u.call(ctx, http.MethodPost, "/api/v1/namespaces/"+u.ns+"/launch", map[string]string{"image": "demo"}, &srv)
	})
	if status == http.StatusTooManyRequests {
		tooMany.Add(1)
	}
	if err != nil {
		return err
	}
	u.name = srv.Name
	accepted()
	return u.waitRunning(ctx, urls, &srv, streams)
}

// failover runs do, and once more on the next replica when this one does
// not answer at all (no HTTP status): the session is valid on every one.
func (u *user) failover(urls []string, do func() (int, error)) (int, error) {
	status, err := do()
	if err == nil || status != 0 {
		return status, err
	}
	u.mu.Lock()
	u.base = urls[(slices.Index(urls, u.base)+1)%len(urls)]
	u.mu.Unlock()
	return do()
}

// call sends one API request and decodes a 2xx answer into out.
func (u *user) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	u.mu.Lock()
	base := u.base
	u.mu.Unlock()
	req, _ := http.NewRequestWithContext(ctx, method, base+path, rd)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
	}
	res, err := u.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		var e struct{ Error string }
		_ = json.NewDecoder(res.Body).Decode(&e)
		return res.StatusCode, fmt.Errorf("%s %s: status %d (%s)", method, path, res.StatusCode, e.Error)
	}
	if out == nil {
		return res.StatusCode, nil
	}
	return res.StatusCode, json.NewDecoder(res.Body).Decode(out)
}

// probeCost is the Redis commands one GET /api/v1/me costs, measured
// over 50 probes before the storm, so that the probes are not counted as
// the launches' cost.
func (e *env) probeCost(ctx context.Context, u *user) (float64, error) {
	const n = 50
	before, err := e.redisCalls(ctx)
	if err != nil {
		return 0, err
	}
	for range n {
		if _, err := u.call(ctx, http.MethodGet, "/api/v1/me", nil, nil); err != nil {
			return 0, err
		}
	}
	after, err := e.redisCalls(ctx)
	if err != nil {
		return 0, err
	}
	return float64(after-before-1) / n, nil // the INFO itself counts once
}

// probe times GET /api/v1/me every interval until ctx ends.
func probe(ctx context.Context, u *user, every time.Duration, urls []string) []time.Duration {
	var out []time.Duration
	for ctx.Err() == nil {
		t := time.Now()
		_, err := u.failover(urls, func() (int, error) { return u.call(ctx, http.MethodGet, "/api/v1/me", nil, nil) })
		if err == nil {
			out = append(out, time.Since(t))
		} else if ctx.Err() == nil {
			out = append(out, time.Since(t)) // a failed probe counts with its time
		}
		_ = sleepCtx(ctx, every)
	}
	return out
}

// stopAll stops every launched server through the API, 16 at a time.
func (e *env) stopAll(users []*user) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, u := range users {
		if u.name == "" {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := u.failover(e.urls, func() (int, error) {
				return u.call(ctx, http.MethodDelete, "/api/v1/namespaces/"+u.ns+"/servers/"+u.name, nil, nil)
			})
			if err != nil {
				e.log.Warn("server not deleted", "server", u.ns+"/"+u.name, "err", err)
			}
		})
	}
	wg.Wait()
}
