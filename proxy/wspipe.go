package proxy

import "time"

// pipeMode is what a pipe does with the frames it reads.
type pipeMode uint8

const (
	relaying pipeMode = iota
	skipping          // after a close frame or a message too big: frames are parsed, not relayed
	draining          // after a bad frame: bytes are read and dropped
)

// wsPipe copies one direction of a websocket, src to dst, as bytes. It
// parses frame headers as they pass and never holds a header back for
// longer than it takes to arrive whole, so that what it has written to dst
// ends between frames or inside a payload, never inside a header.
type wsPipe struct {
	c          *wsConn
	fromClient bool // src is the client, dst the server; else the other way

	mode      pipeMode
	hdr       [maxFrameHeader]byte // a header that has arrived in part
	hn        int                  // its bytes so far
	carry     [maxFrameHeader]byte // hdr as the chunk being relayed began
	left      int64                // payload bytes of the current frame still to come
	isClose   bool                 // the current frame is a close frame
	inMessage bool                 // a fragmented message has begun
	msgLen    int64                // payload bytes of the current message
	watch     wsWatch              // reads the client's frames for activity (fromClient only)

	ev pipeEvents // what the chunk being relayed showed
}

func (d *wsPipe) src() *wsSide {
	if d.fromClient {
		return &d.c.client
	}
	return &d.c.backend
}

func (d *wsPipe) dst() *wsSide {
	if d.fromClient {
		return &d.c.backend
	}
	return &d.c.client
}

// pipeEvents are what relaying one chunk showed, acted upon once it is
// written.
type pipeEvents struct {
	acted                                      activitySource // what the person did, if anything
	alive, closeRelayed, gotClose, tooBig, bad bool
}

// saw notes activity of source src, if any.
func (ev *pipeEvents) saw(src activitySource) {
	if src != srcNone {
		ev.acted = src
	}
}

// run relays early (bytes read with the handshake), then every read, until
// src fails or the relay closes it.
func (d *wsPipe) run(early []byte) {
	defer d.c.loopDone()
	if len(early) > 0 {
		d.relay(early)
	}
	for {
		b, n, err := d.src().read()
		if n > 0 {
			d.relay((*b)[:n])
		}
		if b != nil {
			relayBuffers.Put(b)
		}
		if err != nil {
			d.srcFailed()
			return
		}
	}
}

// srcFailed ends src: the other side gets a close frame unless the relay
// is already closing.
func (d *wsPipe) srcFailed() {
	c := d.c
	if c.closed.Load() {
		return // the relay is over
	}
	c.note(d.src(), failed)
	if d.fromClient {
		c.stop(nil, clientGone)
	} else {
		c.stop(serverLost, nil)
	}
}

// relay forwards chunk's frames to dst and acts on what their headers
// show. When dst cannot be written, the server or client behind it is
// lost: the other side is told, and src is still read until it closes.
func (d *wsPipe) relay(chunk []byte) {
	nc := copy(d.carry[:], d.hdr[:d.hn])
	wasRelaying := d.mode == relaying
	cut := d.scan(chunk)
	head, body := d.carry[:0], chunk[:max(cut, 0)]
	if wasRelaying && cut > -nc {
		head = d.carry[:nc]
	}
	ev := d.ev
	d.ev = pipeEvents{}
	d.userActed(ev) // before the server can answer
	if len(head)+len(body) > 0 {
		closed, err := d.dst().forward(head, body, d.mode == relaying && d.left > 0, ev.closeRelayed, d.c.p.opts.WriteTimeout, &d.c.stopped)
		if closed {
			d.c.note(d.dst(), sentClose)
		}
		if err != nil {
			d.dstFailed()
		}
	}
	d.act(ev)
}

// dstFailed ends dst: nothing more is written to it, and src is told.
func (d *wsPipe) dstFailed() {
	c := d.c
	if d.mode == relaying {
		d.mode = skipping
	}
	c.note(d.dst(), failed)
	if d.fromClient {
		c.stop(serverLost, nil)
	} else {
		c.stop(nil, clientGone)
	}
}

// userActed records activity for the client's data frames, and pushes
// back its read deadline after data frames and pongs.
func (d *wsPipe) userActed(ev pipeEvents) {
	if ev.acted == srcNone && !ev.alive {
		return
	}
	c := d.c
	now := time.Now()
	if ev.acted != srcNone {
		c.p.activity.markFrom(c.key, now, ev.acted, c.kernel)
	}
	c.clientAlive(now)
}

// act does what one chunk's close frames and failures call for, once the
// chunk is written.
func (d *wsPipe) act(ev pipeEvents) {
	c := d.c
	if ev.gotClose || ev.closeRelayed {
		c.note(d.src(), gotClose)
	}
	if ev.closeRelayed {
		c.stop(nil, nil) // each side has closeGrace to finish
	}
	switch {
	case ev.tooBig:
		c.stop(tooBig, tooBig)
	case ev.bad:
		c.note(d.src(), failed)
		if d.fromClient {
			c.stop(protocolError, clientGone)
		} else {
			c.stop(serverLost, protocolError)
		}
	}
}

// scan walks chunk's frames and returns how much of it to write: all of it
// but a header still incomplete at its end, and nothing from a frame that
// may not be relayed or past a close frame. A cut below zero drops the
// header carried from the previous chunk too.
func (d *wsPipe) scan(chunk []byte) int {
	cut := len(chunk)
	if d.mode != relaying {
		cut = -d.hn
	}
	for i := 0; i < len(chunk) && d.mode != draining; {
		if d.left > 0 {
			k := int(min(int64(len(chunk)-i), d.left))
			if d.fromClient {
				d.ev.saw(d.watch.payload(chunk[i : i+k]))
			}
			i += k
			d.left -= int64(k)
			if d.left == 0 && d.frameEnd() {
				cut = min(cut, i)
			}
			continue
		}
		at := i - d.hn // where the header begins; below zero: in the carry
		h, used, complete, err := d.header(chunk[i:])
		if err != nil {
			d.mode, d.ev.bad = draining, true
			return min(cut, at)
		}
		if !complete { // held back until it is whole
			return min(cut, at)
		}
		i += used
		if !d.frameStart(h) {
			cut = min(cut, at)
		}
		if d.left == 0 && d.frameEnd() {
			cut = min(cut, i)
		}
	}
	return cut
}

// header parses the header at the start of b, with the part carried in
// hdr, and returns how many bytes of b it used. An incomplete header is
// kept in hdr.
func (d *wsPipe) header(b []byte) (h frameHeader, used int, complete bool, err error) {
	had := d.hn
	var n int
	if had == 0 {
		h, n, err = parseFrameHeader(b, 0)
		if n == 0 && err == nil {
			d.hn = copy(d.hdr[:], b)
			return h, d.hn, false, nil
		}
		return h, n, true, err
	}
	k := copy(d.hdr[had:], b)
	h, n, err = parseFrameHeader(d.hdr[:had+k], 0)
	if n == 0 && err == nil {
		d.hn += k
		return h, k, false, nil
	}
	d.hn = 0
	return h, n - had, true, err
}

// frameStart takes the header of the next frame and reports whether the
// frame is relayed; if it may not be, it sets the mode that follows.
func (d *wsPipe) frameStart(h frameHeader) bool {
	d.left, d.isClose = h.length, h.opcode == opClose
	if h.masked != d.fromClient {
		d.mode, d.ev.bad = draining, true // clients mask, servers do not
		return false
	}
	if h.isData() {
		if (h.opcode == opContinuation) != d.inMessage {
			d.mode, d.ev.bad = draining, true // a fragment out of its message
			return false
		}
		if h.opcode != opContinuation {
			d.msgLen = 0
		}
		d.msgLen += h.length
		d.inMessage = !h.fin
		if d.msgLen > d.c.p.opts.MaxMessageSize && d.mode == relaying {
			d.mode, d.ev.tooBig = skipping, true
			return false
		}
	}
	if d.fromClient {
		d.ev.saw(d.watch.frame(h))
		d.ev.alive = d.ev.alive || h.isData() || h.opcode == opPong
	}
	return d.mode == relaying
}

// frameEnd ends the current frame and reports whether the chunk is cut
// after it: nothing is relayed after a close frame.
func (d *wsPipe) frameEnd() bool {
	if !d.isClose {
		return false
	}
	d.isClose = false
	if d.mode != relaying {
		d.ev.gotClose = true
		return false
	}
	d.ev.closeRelayed = true
	d.mode = skipping
	return true
}
