package proxy

import "bytes"

// msgTypeKey is what a Jupyter message's header names its type with, in
// the JSON protocol and in v1.kernel.websocket.jupyter.org's binary one
// (whose header part is the same JSON). JSON escaping keeps it from
// appearing inside a string value: there its quotes are \".
const msgTypeKey = `"msg_type"`

// msgTypeScan finds the first msg_type of a message, byte by byte.
type msgTypeScan struct {
	state uint8
	n     int      // bytes of msgTypeKey matched, or of the value read
	val   [24]byte // the value; longer ones are activity
}

const (
	scanKey   = iota // looking for msgTypeKey
	scanColon        // after it, up to the value's opening quote
	scanValue        // in the value
	scanDone
)

// feed reads b (payload at offset off, masked with mask) until the type is
// known, unmasking it a block at a time on the stack.
func (s *msgTypeScan) feed(b []byte, mask [4]byte, off int64) activitySource {
	var buf [128]byte
	for len(b) > 0 && s.state != scanDone {
		n := unmaskInto(buf[:], b, mask, off)
		if src := s.scan(buf[:n]); src != srcNone {
			return src
		}
		b, off = b[n:], off+int64(n)
	}
	return srcNone
}

// scan steps through unmasked bytes. While no part of the key is matched
// it searches for the whole key, and steps only through a tail that may
// begin one cut by the block's end.
func (s *msgTypeScan) scan(p []byte) activitySource {
	for i := 0; i < len(p) && s.state != scanDone; i++ {
		if s.state == scanKey && s.n == 0 {
			if j := bytes.Index(p[i:], []byte(msgTypeKey)); j >= 0 {
				i += j + len(msgTypeKey) - 1
				s.state = scanColon
				continue
			}
			i = max(i, len(p)-(len(msgTypeKey)-1))
		}
		if src := s.step(p[i]); src != srcNone {
			return src
		}
	}
	return srcNone
}

func (s *msgTypeScan) step(c byte) activitySource {
	switch s.state {
	case scanKey:
		switch {
		case c == msgTypeKey[s.n]:
			s.n++
			if s.n == len(msgTypeKey) {
				s.state, s.n = scanColon, 0
			}
		case c == '"': // the key's only quote-free restart
			s.n = 1
		default:
			s.n = 0
		}
	case scanColon:
		switch c {
		case ' ', '\t', '\r', '\n', ':':
		case '"':
			s.state = scanValue
		default:
			s.state, s.n = scanKey, 0
		}
	case scanValue:
		if c == '"' {
			s.state = scanDone
			return kernelMessageSource(s.val[:s.n])
		}
		if s.n == len(s.val) {
			s.state = scanDone
			return srcKernel
		}
		s.val[s.n] = c
		s.n++
	}
	return srcNone
}

// kernelMessageSource says whether a message a client sends to a kernel is
// a person's doing: not the requests a page sends on every load or poll.
func kernelMessageSource(msgType []byte) activitySource {
	switch string(msgType) { // no allocation: the compiler compares in place
	case "kernel_info_request", "comm_info_request", "history_request", "usage_request":
		return srcNone
	}
	return srcKernel
}

// terminalInput begins what a terminal's page sends when a person types
// (["stdin", "ls\r"]); resizes (["set_size", …]) are not activity.
const terminalInput = `["stdin"`

// prefixScan tells whether a message begins with prefix.
type prefixScan struct {
	prefix string
	n      int // bytes matched
	done   bool
}

func (s *prefixScan) reset() { s.n, s.done = 0, false }

func (s *prefixScan) feed(b []byte, mask [4]byte, off int64) activitySource {
	for j := 0; j < len(b) && !s.done; j++ {
		if unmask(b, j, mask, off) != s.prefix[s.n] {
			s.done = true
			return srcNone
		}
		s.n++
		if s.n == len(s.prefix) {
			s.done = true
			return srcTerminal
		}
	}
	return srcNone
}
