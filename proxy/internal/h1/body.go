package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
)

// upBody is the body of a response read by Transport. At EOF it hands
// the connection back for reuse when both sides allow keep-alive; closed
// before EOF, it closes the connection. Read and Close must not be called
// concurrently (ReverseProxy does not).
type upBody struct {
	t     *Transport
	c     *upConn
	br    *bufio.Reader
	body  io.ReadCloser // http.ReadResponse's, never closed: that would drain it
	watch cancelWatch   // aborts the exchange when the request's context ends
	ctx   context.Context
	keep  bool
	done  bool
	err   error // what Read returns once done
}

func (b *upBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.err
	}
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.finish(true, io.EOF)
	case err != nil:
		if b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
		b.finish(false, err)
	}
	return n, err
}

func (b *upBody) Close() error {
	b.finish(false, errBodyClosed)
	return nil
}

var errBodyClosed = errors.New("read on a closed response body")

func (b *upBody) finish(eof bool, err error) {
	if b.done {
		return
	}
	b.done, b.err = true, err
	unwatched := b.watch.end()
	b.t.release(b.c, b.br, eof && b.keep && unwatched)
	b.br = nil
}
