package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/spawnhub/spawnhub/test/poll"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowlorisLeavesOthersServed holds 20,000 sockets against /login with
// request heads that never end, from eight loopback addresses, reopening
// whatever spawnhub closes; meanwhile another client's /healthz and dev
// login must answer, and spawnhub's file descriptors stay bounded by its
// default server.maxPendingHeads (4096), far below its limit (20,000 here).
// The sockets are held by two helper processes, because one process may
// not open 20,000 descriptors here either.
func TestSlowlorisLeavesOthersServed(t *testing.T) {
	const helpers, perHelper = 2, 10000
	hub, _ := startDemoHub(t)
	pid := hub.cmd.Process.Pid
	before := fdCount(t, pid)

	var attack []*attacker
	for i := range helpers {
		var sources []string
		for j := range 4 {
			sources = append(sources, fmt.Sprintf("127.0.0.%d", 1+4*i+j))
		}
		attack = append(attack, startAttacker(t, strings.TrimPrefix(hub.URL, "http://"), perHelper, sources))
	}
	poll.Until(t, 3*time.Minute, "the slowloris's first 20,000 connections", func() bool {
		return total(attack, func(s slowlorisStatus) int64 { return s.Tried }) == helpers*perHelper
	})
	t.Logf("slowloris: %d of %d sockets connected on the first try",
		total(attack, func(s slowlorisStatus) int64 { return s.FirstOK }), helpers*perHelper)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peak := watchProcess(ctx, pid)
	c := clientFrom("127.0.0.9")
	var health, logins []time.Duration
	for range 20 {
		health = append(health, timed(t, c, "GET", hub.URL+"/healthz", nil, http.StatusOK))
		logins = append(logins, timed(t, c, "POST", hub.URL+"/login", url.Values{"username": {"carol"}}, http.StatusSeeOther))
		time.Sleep(250 * time.Millisecond) // spread the tries over the attack
	}
	fds, rss := peak()
	t.Logf("during the slowloris (%d sockets held by the attacker, %d reopened so far): /healthz p50 %v max %v; login p50 %v max %v",
		total(attack, func(s slowlorisStatus) int64 { return s.Open }), total(attack, func(s slowlorisStatus) int64 { return s.Reopened }),
		median(health), slices.Max(health), median(logins), slices.Max(logins))
	t.Logf("spawnhub: %d file descriptors before, at most %d during; RSS at most %d MiB", before, fds, rss>>20)
	if limit := before + 4096 + 256; fds > limit {
		t.Errorf("spawnhub held %d file descriptors during the slowloris, want at most %d (maxPendingHeads and some)", fds, limit)
	}

	for _, a := range attack {
		a.stop()
	}
	poll.Until(t, time.Minute, "spawnhub's descriptors back after the slowloris", func() bool { return fdCount(t, pid) <= before+16 })
}

// slowlorisEnv, when set, makes the test binary a slowloris helper: it
// holds sockets to the address it names and reports on stdout.
const slowlorisEnv = "SPAWNHUB_E2E_SLOWLORIS"

func init() {
	if target := os.Getenv(slowlorisEnv); target != "" {
		n, _ := strconv.Atoi(os.Getenv(slowlorisEnv + "_SOCKETS"))
		runSlowloris(target, n, strings.Split(os.Getenv(slowlorisEnv+"_SOURCES"), ","))
		os.Exit(0)
	}
}

// slowlorisStatus is what a helper reports, one JSON line every 200ms.
type slowlorisStatus struct {
	Tried, FirstOK int64 // first connection attempts, and successes
	Open, Reopened int64 // sockets held now; reopened after the server closed them
}

// attacker is a running helper process and its latest status.
type attacker struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	last slowlorisStatus
	done chan struct{}
}

func startAttacker(t *testing.T, target string, sockets int, sources []string) *attacker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), slowlorisEnv+"="+target, slowlorisEnv+"_SOCKETS="+strconv.Itoa(sockets),
		slowlorisEnv+"_SOURCES="+strings.Join(sources, ","))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &attacker{cmd: cmd, done: make(chan struct{})}
	go a.read(out) // ends when the helper exits
	t.Cleanup(a.stop)
	return a
}

func (a *attacker) read(out io.Reader) {
	defer close(a.done)
	dec := json.NewDecoder(out)
	for {
		var s slowlorisStatus
		if err := dec.Decode(&s); err != nil {
			return
		}
		a.mu.Lock()
		a.last = s
		a.mu.Unlock()
	}
}

func (a *attacker) status() slowlorisStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// stop ends the helper by pid; the kernel closes its sockets.
func (a *attacker) stop() {
	select {
	case <-a.done:
	default:
		_ = a.cmd.Process.Kill()
		<-a.done
		_ = a.cmd.Wait()
	}
}

func total(as []*attacker, field func(slowlorisStatus) int64) int64 {
	var n int64
	for _, a := range as {
		n += field(a.status())
	}
	return n
}

// runSlowloris holds n sockets to target, spread over the source
// addresses and 20 goroutines, until the process is killed.
func runSlowloris(target string, n int, sources []string) {
	s := &slowloris{target: target}
	const workers = 20
	for i := range workers {
		go s.hold(sources[i%len(sources)], n/workers) // ends with the process
	}
	enc := json.NewEncoder(os.Stdout)
	for {
		_ = enc.Encode(slowlorisStatus{Tried: s.tried.Load(), FirstOK: s.firstOK.Load(), Open: s.open.Load(), Reopened: s.reopened.Load()})
		time.Sleep(200 * time.Millisecond)
	}
}

// slowloris keeps sockets open with request heads trickled forever.
type slowloris struct {
	target                         string
	tried, firstOK, open, reopened atomic.Int64
}

// hold keeps n sockets from src open: each second every socket gets one
// more header line; one the server closed is reopened.
func (s *slowloris) hold(src string, n int) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 3 * time.Second}
	conns := make([]net.Conn, n)
	dial := func(i int) bool {
		c, err := d.Dial("tcp", s.target)
		if err != nil {
			return false // the next round tries again
		}
		if _, err := io.WriteString(c, "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"); err != nil {
			c.Close()
			return false
		}
		conns[i] = c
		s.open.Add(1)
		return true
	}
	for i := range conns {
		if dial(i) {
			s.firstOK.Add(1)
		}
		s.tried.Add(1)
	}
	for range time.Tick(time.Second) {
		for i, c := range conns {
			if c != nil {
				if _, err := io.WriteString(c, "X-Slow: 1\r\n"); err == nil {
					continue
				}
				c.Close()
				conns[i] = nil
				s.open.Add(-1)
				s.reopened.Add(1)
			}
			dial(i)
		}
	}
}

// clientFrom is a client whose connections come from the loopback address
// src, one new connection per request, without following redirects.
func clientFrom(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &http.Client{Timeout: 5 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// timed sends a request (a form if form is set) and returns how long the
// answer took; a wrong status or an error fails the test.
func timed(t *testing.T, c *http.Client, method, u string, form url.Values, want int) time.Duration {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s during the slowloris: %v", method, u, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	took := time.Since(start)
	if res.StatusCode != want {
		t.Fatalf("%s %s during the slowloris: status %d, want %d", method, u, res.StatusCode, want)
	}
	return took
}

func median(d []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(d))
	return s[len(s)/2]
}

// watchProcess samples pid's open descriptors and resident memory until
// ctx is done; the returned function gives the peaks so far.
func watchProcess(ctx context.Context, pid int) func() (fds int, rss int64) {
	var mu sync.Mutex
	var maxFDs int
	var maxRSS int64
	sample := func() {
		entries, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		rss := residentBytes(pid)
		mu.Lock()
		maxFDs, maxRSS = max(maxFDs, len(entries)), max(maxRSS, rss)
		mu.Unlock()
	}
	go func() { // ends with ctx
		for ctx.Err() == nil {
			sample()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return func() (int, int64) {
		sample()
		mu.Lock()
		defer mu.Unlock()
		return maxFDs, maxRSS
	}
}

func fdCount(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// residentBytes reads VmRSS from /proc/<pid>/status.
func residentBytes(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestSlowRequestBodies runs spawnhub with server.minBodyRate 100 bytes/s
// over 2s windows: a body that stalls is dropped, on /login and on an upload
// to a workspace through the proxy; an upload to Jupyter through the proxy
// that lasts several windows but keeps moving completes.
func TestSlowRequestBodies(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	requireTool(t, "jupyter-notebook")
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{
		env: []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir(),
			"SPAWNHUB_SERVER_MINBODYRATE=100", "SPAWNHUB_SERVER_BODYRATEWINDOW=2s"},
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") },
	})
	alice = login(t, hub.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "jupyter-notebook"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	token := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/tokens", map[string]any{"name": "upload", "expiresIn": "1h"})
	bearer := "Bearer " + token["token"].(string)
	file := "/notebook/alice/" + name + "/api/contents/upload.txt"

	for _, tt := range []struct{ name, head string }{
		{"login", "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"},
		{"upload through the proxy", "PUT " + file + " HTTP/1.1\r\nAuthorization: " + bearer + "\r\nContent-Type: application/json\r\n"},
	} {
		t.Run("stalled body on "+tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", strings.TrimPrefix(hub.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			fmt.Fprintf(c, "%sHost: %s\r\nContent-Length: 1000000\r\n\r\n{\"type\": ", tt.head, strings.TrimPrefix(hub.URL, "http://"))
			_ = c.SetReadDeadline(time.Now().Add(time.Minute)) // a bound, not the expectation
			if _, err := io.Copy(io.Discard, c); err != nil {
				t.Fatalf("a stalled body: %v, want spawnhub to close the connection", err)
			}
			t.Logf("closed after %v", time.Since(start).Round(time.Millisecond))
		})
	}

	t.Run("slow but steady upload through the proxy", func(t *testing.T) {
		const chunks, size = 24, 500 // every 250ms: 2,000 bytes/s for 6s, three windows
		content := strings.Repeat("x", chunks*size)
		body, _ := json.Marshal(map[string]string{"type": "file", "format": "text", "content": content})
		pr, pw := io.Pipe()
		go func() { // ends when the body is written, or the request failed
			for rest := body; len(rest) > 0; {
				n := min(size, len(rest))
				if _, err := pw.Write(rest[:n]); err != nil {
					return
				}
				rest = rest[n:]
				time.Sleep(250 * time.Millisecond)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("PUT", hub.URL+file, pr)
		req.ContentLength = int64(len(body))
		req.Header.Set("Authorization", bearer)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		res, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			t.Fatalf("slow upload: %v", err)
		}
		res.Body.Close()
		pr.CloseWithError(io.ErrClosedPipe)
		if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
			t.Fatalf("slow upload: status %d, want 201", res.StatusCode)
		}
		t.Logf("%d bytes uploaded in %v", len(body), time.Since(start).Round(time.Millisecond))
		req, _ = http.NewRequest("GET", hub.URL+file+"?content=1&format=text&type=file", nil)
		req.Header.Set("Authorization", bearer)
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Content string }
		decodeJSON(t, res, &got)
		if got.Content != content {
			t.Errorf("the uploaded file has %d bytes, want %d", len(got.Content), len(content))
		}
	})
}
