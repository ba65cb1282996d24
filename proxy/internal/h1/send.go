package h1

import (
	"bufio"
	"net"
	"net/http"
)

// writeReader is a connection that writes a request and reads the start
// of its reply in one wait, without a read attempt before the reply can
// have come (the proxy's connections to workspaces: sockio.Conn's
// WriteRead).
type writeReader interface {
	WriteRead(w, r []byte) (int, error)
}

// sender writes one request at a time through its bufio.Writer. For a
// connection that writes as it reads (upConn.writesAsItReads), the
// request's last bytes (those the final flush passes on) are held, not
// written: the connection's next read writes them (upConn.Read), and
// they stay in the writer's buffer until the sender is put back.
type sender struct {
	bw   *bufio.Writer // writes to the sender
	nc   net.Conn
	hold bool   // the flush under way is the last one: hold what it passes
	held []byte // into bw's buffer
}

func newSender() *sender {
	s := &sender{}
	s.bw = bufio.NewWriter(s)
	return s
}

func (s *sender) Write(p []byte) (int, error) {
	if s.hold {
		s.held = p
		return len(p), nil
	}
	return s.nc.Write(p)
}

// send writes req on c with s, holding its last bytes for c's next read
// when hold.
func (s *sender) send(c *upConn, req *http.Request, fields FieldWriter, hold bool) error {
	s.nc = c.nc
	if err := WriteRequest(s.bw, req, fields); err != nil {
		return err
	}
	s.hold = hold
	err := s.bw.Flush()
	if s.hold {
		c.pending, s.hold, s.held = s.held, false, nil
	}
	return err
}

// reset readies s for the pool: what it held has been read or dropped.
func (s *sender) reset() {
	s.bw.Reset(s)
	s.nc = nil
}
