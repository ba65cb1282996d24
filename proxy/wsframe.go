package proxy

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
)

// Websocket frame opcodes (RFC 6455, 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// maxFrameHeader is the longest frame header: 2 bytes, a 64-bit length and
// a masking key.
const maxFrameHeader = 14

// errBadFrame is a frame header the relay cannot forward: a reserved
// opcode or bit, a fragmented or long control frame, or a length beyond
// 63 bits.
var errBadFrame = errors.New("websocket: bad frame header")

// frameHeader is a parsed frame header.
type frameHeader struct {
	fin    bool
	rsv    byte // the three reserved bits, as in the first byte
	opcode byte
	masked bool
	mask   [4]byte
	length int64 // of the payload
}

func (h frameHeader) isControl() bool { return h.opcode&0x8 != 0 }

// isData is a text, binary or continuation frame: what a user sends.
func (h frameHeader) isData() bool { return !h.isControl() }

// parseFrameHeader parses the frame header at the start of b and returns it
// with its size, or size 0 when b holds only part of it. rsvAllowed are the
// reserved bits an extension negotiated on the connection may set.
func parseFrameHeader(b []byte, rsvAllowed byte) (frameHeader, int, error) {
	if len(b) < 2 {
		return frameHeader{}, 0, nil
	}
	h := frameHeader{fin: b[0]&0x80 != 0, rsv: b[0] & 0x70, opcode: b[0] & 0x0f, masked: b[1]&0x80 != 0}
	switch h.opcode {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
	default:
		return h, 0, errBadFrame
	}
	if h.rsv&^rsvAllowed != 0 {
		return h, 0, errBadFrame
	}
	n := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, 0, nil
		}
		h.length, n = int64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return h, 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return h, 0, errBadFrame
		}
		h.length, n = int64(u), 10
	default:
		h.length = int64(l)
	}
	if h.isControl() && (!h.fin || h.length > 125) {
		return h, 0, errBadFrame
	}
	if h.masked {
		if len(b) < n+4 {
			return h, 0, nil
		}
		copy(h.mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
}

// controlFrame is a whole control frame with payload (at most 125 bytes),
// masked when it goes to a server.
func controlFrame(opcode byte, payload []byte, masked bool) []byte {
	payload = payload[:min(len(payload), 125)]
	f := make([]byte, 0, 6+len(payload))
	f = append(f, 0x80|opcode, byte(len(payload)))
	if !masked {
		return append(f, payload...)
	}
	f[1] |= 0x80
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32()) // masking guards caches, not secrets
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i&3])
	}
	return f
}
