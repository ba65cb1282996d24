package proxy

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spawnhub/spawnhub/proxy/sockio"
)

// relayBufferSize is the size of the pooled buffers websocket bytes are
// copied through.
const relayBufferSize = 32 << 10

// relayBuffers lend buffers to connections that have bytes to read: an idle
// connection holds none.
var relayBuffers = sync.Pool{New: func() any { b := make([]byte, relayBufferSize); return &b }}

// wsSide is one connection of a relayed websocket, the client's or the
// server's: how its bytes are read, and how frames are written to it — the
// relayed ones and the proxy's own (pings, closes) only between frames.
type wsSide struct {
	conn   net.Conn
	raw    syscall.RawConn // nil when conn is not a socket
	masked bool            // the proxy's frames to it are masked: it is the server
	// quickAck re-arms TCP_QUICKACK after each read, as quickAckConn.Read
	// does (the raw reads here bypass it): the server's small replies are
	// acknowledged at once.
	quickAck bool

	// readFD is the bound method raw.Read calls; buf, n and err are its
	// results, so that reading allocates nothing.
	readFD func(fd uintptr) bool
	buf    *[]byte
	n      int
	err    error

	mu        sync.Mutex // one writer at a time; guards the fields below
	midFrame  bool       // what was written so far ends inside a frame
	closeSent bool       // a close frame was written: nothing may follow
	pending   []byte     // the proxy's close frame, for the next frame boundary
	renewed   renewal    // of the write deadline

	// guarded by the wsConn's mu
	gotClose, sentClose, dead bool
}

func (s *wsSide) init(conn net.Conn, masked bool) {
	s.conn, s.masked = conn, masked
	_, s.quickAck = conn.(*quickAckConn)
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
			s.readFD = s.readReady
		}
	}
}

// read waits for bytes and returns them in a pooled buffer, which the
// caller puts back into relayBuffers (also with an error, when not nil).
// On a socket the buffer is taken only once bytes are there.
func (s *wsSide) read() (*[]byte, int, error) {
	if s.raw == nil {
		b := relayBuffers.Get().(*[]byte)
		n, err := s.conn.Read(*b)
		return b, n, err
	}
	s.buf, s.n, s.err = nil, 0, nil
	if err := s.raw.Read(s.readFD); err != nil {
		return s.buf, 0, err
	}
	if s.err == nil && s.n == 0 {
		s.err = io.EOF
	}
	return s.buf, s.n, s.err
}

// readReady reads what the socket holds; without bytes yet it gives the
// buffer back and asks raw.Read to wait.
func (s *wsSide) readReady(fd uintptr) bool {
	if s.buf == nil {
		s.buf = relayBuffers.Get().(*[]byte)
	}
	n, errno := sockio.ReadFD(fd, *s.buf)
	if errno == syscall.EAGAIN {
		relayBuffers.Put(s.buf)
		s.buf = nil
		return false
	}
	if s.n = n; errno != 0 {
		s.n, s.err = 0, errno
	}
	if s.quickAck && s.n > 0 {
		setQuickAck(fd)
	}
	return true
}

// forward writes relayed bytes, head then body (a run of whole frames but perhaps the last,
// midFrame, one; endsWithClose when the run ends with a close frame), then
// the proxy's pending close frame if it is now between frames. It reports
// whether the bytes were written and whether a close frame was.
func (s *wsSide) forward(head, body []byte, midFrame, endsWithClose bool, timeout time.Duration, stopped *atomic.Bool) (closed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeSent {
		return false, nil // the proxy closed this side: the rest is dropped
	}
	s.renewWriteDeadline(timeout, stopped)
	for _, b := range [2][]byte{head, body} {
		if len(b) == 0 {
			continue
		}
		if _, err := s.conn.Write(b); err != nil {
			return false, err
		}
	}
	s.midFrame = midFrame
	s.closeSent = endsWithClose
	if !midFrame && !endsWithClose && s.pending != nil {
		_, err = s.conn.Write(s.pending)
		s.pending, s.closeSent = nil, true
	}
	return s.closeSent, err
}

// renewWriteDeadline pushes the write deadline back to timeout from now.
func (s *wsSide) renewWriteDeadline(timeout time.Duration, stopped *atomic.Bool) {
	s.renewed.pushBack(s.conn, writeDeadline, time.Now(), timeout, stopped)
}

// sendClose writes the proxy's close frame with payload, now if between
// frames, else after the frame being relayed; nothing when a close frame
// has gone already or is pending. It reports whether it wrote it now.
func (s *wsSide) sendClose(payload []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeSent || s.pending != nil {
		return false, nil
	}
	f := controlFrame(opClose, payload, s.masked)
	if s.midFrame {
		s.pending = f
		return false, nil
	}
	s.closeSent = true
	_, err := s.conn.Write(f)
	return true, err
}

// ping writes a ping frame if the side is between frames and no write is
// under way (then the next tick pings); false when the write failed.
func (s *wsSide) ping(timeout time.Duration, stopped *atomic.Bool) bool {
	if !s.mu.TryLock() {
		return true
	}
	defer s.mu.Unlock()
	if s.closeSent || s.midFrame {
		return true
	}
	s.renewWriteDeadline(timeout, stopped)
	_, err := s.conn.Write(controlFrame(opPing, nil, s.masked))
	return err == nil
}
