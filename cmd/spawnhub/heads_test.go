package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeConn is an accepted connection that only has an address and records
// being closed.
type fakeConn struct {
	net.Conn // nil: the gate only asks for the address and closes
	name     string
	addr     *net.TCPAddr
	closed   atomic.Bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return c.addr }
func (c *fakeConn) Close() error         { c.closed.Store(true); return nil }

func connFrom(name, ip string) *fakeConn {
	return &fakeConn{name: name, addr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 40000))}
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// closedOnes names the connections that were closed.
func closedOnes(conns ...*fakeConn) string {
	var out []string
	for _, c := range conns {
		if c.closed.Load() {
			out = append(out, c.name)
		}
	}
	return strings.Join(out, " ")
}

func TestGateClosesTheOldestPendingIdleOnesFirst(t *testing.T) {
	g := newHeadGate(3, 0, quietLog())
	a, b, c, d, e := connFrom("a", "10.0.0.1"), connFrom("b", "10.0.0.2"), connFrom("c", "10.0.0.3"), connFrom("d", "10.0.0.4"), connFrom("e", "10.0.0.5")
	g.admit(a)
	gb := g.admit(b)
	gc := g.admit(c)
	if got := closedOnes(a, b, c); got != "" {
		t.Fatalf("closed %q with 3 pending of 3, want none", got)
	}
	g.admit(d)
	if got := closedOnes(a, b, c, d); got != "a" {
		t.Fatalf("closed %q when a fourth came, want the oldest, a", got)
	}
	g.track(gb, http.StateActive) // b sent its head: not pending any more
	g.track(gc, http.StateActive)
	g.track(gc, http.StateIdle) // c answered, now a keep-alive waiting
	g.admit(e)                  // pending: d (head), c (idle), e
	g.admit(connFrom("f", "10.0.0.6"))
	if got := closedOnes(a, b, c, d, e); got != "a c" {
		t.Errorf("closed %q, want a, then c (idle goes before the older head d)", got)
	}
	if all, _ := g.pending(netip.Addr{}); all != 3 {
		t.Errorf("pending = %d, want 3", all)
	}
}

func TestGateCapsHeadsOfEachAddress(t *testing.T) {
	g := newHeadGate(10, 2, quietLog())
	pool, x1, x2, x3, y1 := connFrom("pool", "10.0.0.1"), connFrom("x1", "10.0.0.1"), connFrom("x2", "10.0.0.1"), connFrom("x3", "::ffff:10.0.0.1"), connFrom("y1", "10.0.0.2")
	gp := g.admit(pool)
	g.track(gp, http.StateActive)
	g.track(gp, http.StateIdle) // a reverse proxy's idle pooled connection: not a head
	g.admit(x1)
	g.admit(y1)
	g.admit(x2)
	g.admit(x3) // the same address, IPv4-mapped
	if got := closedOnes(pool, x1, x2, x3, y1); got != "x1" {
		t.Errorf("closed %q, want x1: its address had 2 heads pending, y1's was under its cap, idle ones do not count", got)
	}
	all, fromX := g.pending(netip.MustParseAddr("10.0.0.1"))
	if all != 4 || fromX != 2 {
		t.Errorf("pending = %d, %d heads from 10.0.0.1; want 4, 2", all, fromX)
	}
}

func TestGateForgetsConnectionsItNoLongerWaitsFor(t *testing.T) {
	g := newHeadGate(2, 0, quietLog())
	var conns []*fakeConn
	for i := range 5 {
		c := connFrom(fmt.Sprint(i), "10.0.0.1")
		conns = append(conns, c)
		gc := g.admit(c)
		switch i % 3 {
		case 0:
			g.track(gc, http.StateActive)
		case 1:
			g.track(gc, http.StateHijacked)
		case 2:
			_ = gc.Close()
		}
	}
	if got := closedOnes(conns...); got != "2" {
		t.Errorf("closed %q, want only 2 (closed by its own server)", got)
	}
	if all, one := g.pending(netip.MustParseAddr("10.0.0.1")); all != 0 || one != 0 || len(g.byIP) != 0 {
		t.Errorf("pending = %d, %d, %d addresses; want nothing left", all, one, len(g.byIP))
	}
}

// serveGated runs a real http.Server behind a gate of max pending heads.
func serveGated(t *testing.T, max, perIP int) (*headGate, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := newHeadGate(max, perIP, quietLog())
	srv := &http.Server{ConnState: g.track, ReadHeaderTimeout: time.Minute,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(g.listener(ln)) // ends at Close below
	t.Cleanup(func() { srv.Close() })
	return g, ln.Addr().String()
}

func waitPending(t *testing.T, g *headGate, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		all, _ := g.pending(netip.Addr{})
		if all == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending = %d, want %d", all, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPartialHeadsArePendingUntilComplete checks what the gate takes from
// net/http: StateActive comes only once the whole head is read.
func TestPartialHeadsArePendingUntilComplete(t *testing.T) {
	g, addr := serveGated(t, 100, 0)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
	time.Sleep(50 * time.Millisecond) // let the server read the partial head
	waitPending(t, g, 1)
	io.WriteString(c, "\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	waitPending(t, g, 1) // answered; now idle, waiting for the next head
}

func TestSlowlorisLeavesRoomForAPromptClient(t *testing.T) {
	const max = 8
	g, addr := serveGated(t, max, 0)
	var slow []net.Conn
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	for range 50 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		slow = append(slow, c)
		io.WriteString(c, "POST /login HTTP/1.1\r\nHost: x\r\n")
	}
	waitPending(t, g, max)
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("a prompt client during the slowloris: %v", err)
	}
	res.Body.Close()
	if all, _ := g.pending(netip.Addr{}); all > max {
		t.Errorf("pending = %d, want at most %d", all, max)
	}
}

// fakeListener fails Accept with errs, one per call, then accepts conn.
type fakeListener struct {
	net.Listener
	errs []error
	conn net.Conn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	return l.conn, nil
}

func (l *fakeListener) Close() error { return nil }

func TestOutOfDescriptorsShedsAndBacksOff(t *testing.T) {
	g := newHeadGate(1000, 0, quietLog())
	var old []*fakeConn
	for i := range shedBatch + 1 {
		c := connFrom(fmt.Sprint(i), "10.0.0.1")
		old = append(old, c)
		g.admit(c)
	}
	emfile := &net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	fresh := connFrom("fresh", "10.0.0.2")
	ln := g.listener(&fakeListener{errs: []error{emfile, emfile, emfile, syscall.ENFILE}, conn: fresh})
	var waits []time.Duration
	ln.wait = func(d time.Duration, _ <-chan struct{}) bool { waits = append(waits, d); return true }

	c, err := ln.Accept()
	if err != nil || c.(*gatedConn).Conn != fresh {
		t.Fatalf("Accept = %v, %v; want the fresh connection after the errors", c, err)
	}
	closed := 0
	for _, c := range old {
		if c.closed.Load() {
			closed++
		}
	}
	if closed != shedBatch+1 || !old[0].closed.Load() {
		t.Errorf("closed %d old connections, want all %d (oldest first)", closed, shedBatch+1)
	}
	want := []time.Duration{minAcceptBackoff, minAcceptBackoff, 2 * minAcceptBackoff, 4 * minAcceptBackoff}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v (short while shedding, then doubling)", waits, want)
	}

	ln = g.listener(&fakeListener{errs: []error{emfile}})
	ln.wait = func(time.Duration, <-chan struct{}) bool { return false } // closed meanwhile
	if _, err := ln.Accept(); err != net.ErrClosed {
		t.Errorf("Accept closed during a backoff = %v, want net.ErrClosed", err)
	}
	if _, err := g.listener(&fakeListener{errs: []error{io.ErrUnexpectedEOF}}).Accept(); err != io.ErrUnexpectedEOF {
		t.Errorf("Accept with another error = %v, want it returned", err)
	}
}

// BenchmarkGateKeepAliveRequest is what the gate adds to each request on a
// keep-alive connection: the server reports it active, then idle.
func BenchmarkGateKeepAliveRequest(b *testing.B) {
	g := newHeadGate(4096, 256, quietLog())
	c := g.admit(connFrom("c", "10.0.0.1"))
	b.ReportAllocs()
	for b.Loop() {
		g.track(c, http.StateActive)
		g.track(c, http.StateIdle)
	}
}

// BenchmarkGateAdmitAtCap is the cost of a new connection when the gate
// is full: admit it, close the oldest.
func BenchmarkGateAdmitAtCap(b *testing.B) {
	g := newHeadGate(1024, 0, quietLog())
	b.ReportAllocs()
	for b.Loop() {
		g.admit(connFrom("c", "10.0.0.1"))
	}
}
