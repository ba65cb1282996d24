package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeClock is a time that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// slowBody hands out n bytes per Read, each taking `takes` of the clock.
type slowBody struct {
	clock *fakeClock
	left  int
	n     int
	takes time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	b.clock.advance(b.takes)
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(b.n, b.left, len(p))
	b.left -= n
	return n, nil
}

func (b *slowBody) Close() error { return nil }

func TestOnlyTimeSpentWaitingForTheClientCounts(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	rate := minBodyRate{perWindow: 100, window: 10 * time.Second, now: clock.now}
	var deadlines []time.Time
	r := &rateReader{body: &slowBody{clock: clock, left: 150, n: 60, takes: 2 * time.Second}, rate: rate,
		setDeadline: func(t time.Time) error { deadlines = append(deadlines, t); return nil }}
	start := clock.now()
	buf := make([]byte, 1000)
	read := func() {
		if _, err := r.Read(buf); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	read()                         // 60 bytes in 2s: 8s of the window left
	clock.advance(time.Hour)       // the handler pauses: not the client's fault
	read()                         // 120 bytes: the quota, a new window
	clock.advance(3 * time.Second) // the handler pauses again
	read()                         // 150 bytes
	read()                         // EOF
	var got []string
	for _, d := range deadlines {
		if d.IsZero() {
			got = append(got, "none")
		} else {
			got = append(got, fmt.Sprint(d.Sub(start).Seconds()))
		}
	}
	// Seconds after start: 0+10; 3602+8 left; 3607+10 (new window);
	// 3609+8; lifted at EOF.
	want := []string{"10", "3610", "3617", "3617", "none"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("deadlines (s after start) = %v, want %v", got, want)
	}
}

// bodyServer serves h, holding bodies to perWindow bytes per window.
func bodyServer(t *testing.T, perSecond int, window time.Duration, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(newMinBodyRate(perSecond, window).wrap(h))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestStalledBodyIsCut(t *testing.T) {
	readErr := make(chan error, 1)
	addr := bodyServer(t, 100, time.Second, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nsome bytes, then nothing")
	select {
	case err := <-readErr:
		if !errors.Is(err, errBodyTooSlow) {
			t.Errorf("handler read = %v, want errBodyTooSlow", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled body was never cut")
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("the stalled client's connection: %v, want it closed by the server", err)
	}
}

func TestSlowButSteadyBodyCompletes(t *testing.T) {
	addr := bodyServer(t, 100, time.Second, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
			return
		}
		fmt.Fprint(w, len(b))
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const chunks, size = 30, 100 // 3s, each second 10 times the minimum
	fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", chunks*size)
	for range chunks {
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write([]byte(strings.Repeat("x", size))); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != fmt.Sprint(chunks*size) {
		t.Errorf("slow upload: %d %q, want 200 and %d bytes read", res.StatusCode, body, chunks*size)
	}
}

func TestUnreadBodyIsBoundedToo(t *testing.T) {
	addr := bodyServer(t, 100, time.Second, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("a page bigger than the server's buffer ", 200))
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc") // the server drains what the handler left
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("a client that stalls a body nobody reads: %v, want its connection closed", err)
	}
}

func TestRequestsWithoutBodyAreUntouched(t *testing.T) {
	var got io.ReadCloser
	h := newMinBodyRate(100, time.Second).wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Body }))
	req := httptest.NewRequest("GET", "/", nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got != req.Body {
		t.Errorf("GET body = %T, want the request's own", got)
	}
	req = httptest.NewRequest("POST", "/", strings.NewReader("x")) // a recorder has no deadlines
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got != req.Body {
		t.Errorf("POST body without deadlines = %T, want the request's own", got)
	}
}

// BenchmarkBodyRateOnGET is what the minimum body rate adds to a request
// without a body (the proxy's usual request): a check.
func BenchmarkBodyRateOnGET(b *testing.B) {
	h := newMinBodyRate(1024, 30*time.Second).wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req, w := httptest.NewRequest("GET", "/notebook/a/b/api/status", nil), httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
