package h1

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// upConn is one keep-alive connection to a server.
type upConn struct {
	nc        net.Conn
	acks      acker       // nc, when it can acknowledge at once; else nil
	addr      string      // host:port, the pool's key
	idleSince time.Time   // when it was last put back
	reused    bool        // it has carried a request before
	abort     func()      // closes nc; built once, run on cancellation
	readsEnd  time.Time   // nc's read deadline; zero: none
	wr        writeReader // nc, when it can write a request as it reads; else nil
	pending   []byte      // a request's last bytes, for wr to write at the next read
}

// writeReadIdle is how long a connection may have been idle for its next
// request to be written as the reply is read (writeReader): a server
// that shut its side while the connection sat idle but reads on
// (lingering close) would leave that wait unwoken until the header
// timeout, where a read attempt sees the end at once. Servers close idle
// connections after seconds; one that closes it whole answers the
// request with a reset, which wakes the wait.
const writeReadIdle = time.Second

// writesAsItReads tells whether c's next request, at now, is written as
// its reply is read.
func (c *upConn) writesAsItReads(now time.Time) bool {
	return c.wr != nil && (!c.reused || now.Sub(c.idleSince) < writeReadIdle)
}

// Read reads from c's connection, writing there first what a request
// left pending (see sender).
func (c *upConn) Read(p []byte) (int, error) {
	if w := c.pending; w != nil {
		c.pending = nil
		return c.wr.WriteRead(w, p)
	}
	return c.nc.Read(p)
}

// readsEndBy has reads on c end by now+timeout, give or take 1/64 of the
// timeout: the deadline moves only once it has drifted that far, rather
// than being set and cleared around every response (a timer update each).
// A zero timeout is none.
func (c *upConn) readsEndBy(now time.Time, timeout time.Duration) {
	if timeout <= 0 {
		return
	}
	if left := c.readsEnd.Sub(now); left >= timeout-timeout/64 && left <= timeout {
		return
	}
	c.readsEnd = now.Add(timeout)
	_ = c.nc.SetReadDeadline(c.readsEnd)
}

// readsUnbounded lifts c's read deadline (for a body that is still to
// come, which may take any time).
func (c *upConn) readsUnbounded() {
	if !c.readsEnd.IsZero() {
		c.readsEnd = time.Time{}
		_ = c.nc.SetReadDeadline(time.Time{})
	}
}

func newUpConn(nc net.Conn, addr string) *upConn {
	c := &upConn{nc: nc, addr: addr, abort: func() { _ = nc.Close() }}
	c.acks, _ = nc.(acker)
	c.wr, _ = nc.(writeReader)
	if c.acks != nil {
		c.acks.AckReads(false)
	}
	return c
}

// acker is a connection that can acknowledge what it reads at once rather
// than with the kernel's delayed ACK (the proxy's connections to
// workspaces). Transport has it do so only while a response's body is
// still to come: the ACK of a response read whole rides on the next
// request, and an immediate one costs a packet; a server that streams
// with Nagle's algorithm on waits for each ACK.
type acker interface {
	// AckReads turns immediate ACKs after each read on or off; on, it
	// acknowledges what was read so far at once.
	AckReads(on bool)
}

// ackWhileBodyToCome tells whether res's body has not all arrived with its
// header (buffered bytes of it), and turns c's immediate ACKs on while it
// has not, off otherwise.
func (c *upConn) ackWhileBodyToCome(res *http.Response, buffered int) (toCome bool) {
	toCome = res.Body != http.NoBody && (res.ContentLength < 0 || int64(buffered) < res.ContentLength)
	if c.acks != nil {
		c.acks.AckReads(toCome)
	}
	return toCome
}

// connPool keeps idle keep-alive connections per server address, newest
// last. It starts no goroutines: connections idle longer than maxAge are
// closed when their server's pool is next used, or by closeIdle.
type connPool struct {
	mu      sync.Mutex
	idle    map[string][]*upConn
	maxIdle int // per address
	maxAge  time.Duration
}

func newConnPool(maxIdle int, maxAge time.Duration) *connPool {
	return &connPool{idle: make(map[string][]*upConn), maxIdle: maxIdle, maxAge: maxAge}
}

// take returns the most recently used idle connection to addr, or nil.
func (p *connPool) take(addr string, now time.Time) *upConn {
	p.mu.Lock()
	conns := p.idle[addr]
	n := len(conns)
	if n == 0 {
		p.mu.Unlock()
		return nil
	}
	c := conns[n-1]
	conns[n-1] = nil
	p.idle[addr] = conns[:n-1]
	if now.Sub(c.idleSince) <= p.maxAge {
		p.mu.Unlock()
		return c
	}
	// c and every older connection expired.
	expired := append(conns[:0:0], conns[:n-1]...)
	clear(conns[:n-1])
	p.idle[addr] = conns[:0]
	p.mu.Unlock()
	closeAll(append(expired, c))
	return nil
}

// put keeps c for the next request to its server, or closes it when the
// server already has maxIdle idle connections.
func (p *connPool) put(c *upConn, now time.Time) {
	c.idleSince = now
	c.reused = true
	p.mu.Lock()
	conns := p.idle[c.addr]
	if len(conns) < p.maxIdle {
		p.idle[c.addr] = append(conns, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		_ = c.nc.Close()
	}
}

// closeIdle closes the connections put back before cutoff.
func (p *connPool) closeIdle(cutoff time.Time) {
	var expired []*upConn
	p.mu.Lock()
	for addr, conns := range p.idle {
		keep := conns[:0]
		for _, c := range conns {
			if c.idleSince.Before(cutoff) {
				expired = append(expired, c)
			} else {
				keep = append(keep, c)
			}
		}
		clear(conns[len(keep):])
		if len(keep) == 0 {
			delete(p.idle, addr)
		} else {
			p.idle[addr] = keep
		}
	}
	p.mu.Unlock()
	closeAll(expired)
}

// count is the number of idle connections to addr.
func (p *connPool) count(addr string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle[addr])
}

func closeAll(conns []*upConn) {
	for _, c := range conns {
		_ = c.nc.Close()
	}
}
