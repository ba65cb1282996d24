package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Load describes one load run: conns keep-alive connections each sending
// GET url back to back, first for warmup (not counted), then for dur.
type Load struct {
	URL    string
	Header map[string]string // extra request headers (the session cookie)
	Conns  int
	Warmup time.Duration
	Dur    time.Duration
}

// LoadResult is what one run measured, in the window after the warmup.
type LoadResult struct {
	Requests   int64
	Elapsed    time.Duration
	Reconnect  int64         // connections the server closed and we reopened
	ProxyCPU   time.Duration // CPU time of the proxy's processes
	BackendCPU time.Duration // CPU time of the backend's process
	GenCPU     time.Duration // the load generator's own CPU time (this process)
	ProxyInstr int64         // the proxy's user-space instructions, under -callgrind; else 0
}

// add adds another window's counts to r's.
func (r *LoadResult) add(o LoadResult) {
	r.Requests += o.Requests
	r.Elapsed += o.Elapsed
	r.Reconnect += o.Reconnect
	r.ProxyCPU += o.ProxyCPU
	r.BackendCPU += o.BackendCPU
	r.GenCPU += o.GenCPU
	r.ProxyInstr += o.ProxyInstr
}

// RPS is requests per second over the window.
func (r LoadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// PerRequest divides a CPU time by the requests.
func (r LoadResult) PerRequest(d time.Duration) time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return d / time.Duration(r.Requests)
}

// Run sends the load and measures the CPU time of proxy and backend (each
// may be nil). The first error of any connection ends the run.
func (l Load) Run(ctx context.Context, proxy, backend procGroup) (LoadResult, error) {
	u, err := url.Parse(l.URL)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load %s: %w", l.URL, err)
	}
	req := buildRequest(u, l.Header)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var done, reconnects atomic.Int64
	var wg sync.WaitGroup
	for range l.Conns {
		wg.Go(func() { // ends when ctx is canceled or the connection fails
			if err := hammer(ctx, u.Host, req, &done, &reconnects); err != nil {
				cancel(err)
			}
		})
	}
	res, err := l.measure(ctx, proxy, backend, &done, &reconnects)
	cancel(errStopped)
	wg.Wait()
	if cause := context.Cause(ctx); err == nil && !errors.Is(cause, errStopped) {
		err = cause
	}
	return res, err
}

var errStopped = errors.New("load run over")

func (l Load) measure(ctx context.Context, proxy, backend procGroup, done, reconnects *atomic.Int64) (LoadResult, error) {
	if err := sleep(ctx, l.Warmup); err != nil {
		return LoadResult{}, err
	}
	n0, r0, g0, t0 := done.Load(), reconnects.Load(), selfCPU(), time.Now()
	p0, _, err1 := proxy.sample()
	b0, _, err2 := backend.sample()
	if err := errors.Join(err1, err2); err != nil {
		return LoadResult{}, err
	}
	count := callgrindDir != "" && proxy != nil
	if count {
		if err := zeroInstructions(proxy); err != nil {
			return LoadResult{}, err
		}
	}
	if err := sleep(ctx, l.Dur); err != nil {
		return LoadResult{}, err
	}
	n1, r1, g1, t1 := done.Load(), reconnects.Load(), selfCPU(), time.Now()
	var ir int64
	var err3 error
	if count {
		ir, err3 = instructions(proxy)
	}
	p1, _, err1 := proxy.sample()
	b1, _, err2 := backend.sample()
	return LoadResult{Requests: n1 - n0, Elapsed: t1.Sub(t0), Reconnect: r1 - r0,
		ProxyCPU: p1 - p0, BackendCPU: b1 - b0, GenCPU: g1 - g0, ProxyInstr: ir}, errors.Join(err1, err2, err3)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

func buildRequest(u *url.URL, header map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: spawnhub-bench\r\n", u.RequestURI(), u.Host)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// hammer sends req over one connection, again and again, until ctx ends;
// it reconnects when the server closes the connection between responses.
func hammer(ctx context.Context, addr string, req []byte, done, reconnects *atomic.Int64) error {
	for first := true; ; first = false {
		if !first {
			reconnects.Add(1)
		}
		err := hammerConn(ctx, addr, req, done)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errServerClosed) {
			return err
		}
	}
}

var errServerClosed = errors.New("server closed the connection")

func hammerConn(ctx context.Context, addr string, req []byte, done *atomic.Int64) error {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", loopbackAddr(addr))
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	r := bufio.NewReaderSize(c, 16<<10)
	for {
		if _, err := c.Write(req); err != nil {
			return fmt.Errorf("send to %s: %w", addr, err)
		}
		keep, err := readResponse(r)
		if errors.Is(err, io.EOF) {
			return errServerClosed // closed while idle (a keep-alive limit)
		}
		if err != nil {
			return fmt.Errorf("response from %s: %w", addr, err)
		}
		done.Add(1)
		if !keep {
			return errServerClosed
		}
	}
}

// readResponse reads one HTTP/1.1 response, discarding its body. It wants
// status 200 and reports whether the connection stays open.
func readResponse(r *bufio.Reader) (keepAlive bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return false, fmt.Errorf("bad status line %q", line)
	}
	if !bytes.Equal(line[9:12], []byte("200")) {
		return false, fmt.Errorf("status %q, want 200", bytes.TrimSpace(line))
	}
	length, chunked, keepAlive := int64(-1), false, true
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return false, fmt.Errorf("content-length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		return keepAlive, discardChunked(r)
	case length >= 0:
		_, err = r.Discard(int(length))
		return keepAlive, err
	default:
		return false, errors.New("response without length")
	}
}

func discardChunked(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		hex, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte(";"))
		n, err := strconv.ParseInt(string(hex), 16, 64)
		if err != nil {
			return fmt.Errorf("chunk size %q", line)
		}
		if n == 0 {
			break
		}
		if _, err := r.Discard(int(n) + 2); err != nil {
			return err
		}
	}
	for { // trailers, then the empty line
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
	}
}
