// Package headscan finds where an HTTP/1.1 head ends and checks its bytes,
// eight at a time: the lean server's request parser and the lean client's
// response reader accept only heads whose lines end with CRLF and hold
// nothing but visible ASCII, SP and HTAB, and hand anything else to
// net/http, so that a head is never read two ways.
package headscan

import (
	"bytes"
	"encoding/binary"
)

// Result tells what the bytes read so far hold.
type Result int

const (
	Partial Result = iota // no end of head yet, and it may still come: read more
	Done                  // a whole head of plain lines
	Other                 // a byte or line break outside the subset
)

// Scan looks for the end of the head at the start of b (the CRLF of an
// empty line) and returns the head's length with it and Done, when every
// line before it ends with CRLF (the first may be empty) and holds only plain bytes (see Plain). It
// returns 0 and Partial when b has no end of head yet but may become one,
// 0 and Other when it cannot (a CR or LF alone, a control byte, obs-text).
func Scan(b []byte) (int, Result) {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0, partial(b[i:])
		}
		if j == 0 || b[i+j-1] != '\r' || Plain(b[i:i+j-1]) != j-1 {
			return 0, Other
		}
		if j == 1 && i > 0 { // an empty first line does not end a head
			return i + 2, Done
		}
		i += j + 1
	}
}

// partial tells whether rest, the unterminated last line of what was read,
// may still become a plain line.
func partial(rest []byte) Result {
	n := Plain(rest)
	if n == len(rest) || (n == len(rest)-1 && rest[n] == '\r') {
		return Partial
	}
	return Other
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// Plain returns the length of the longest prefix of b made of the bytes a
// head's line may hold: visible ASCII (0x21-0x7e), SP and HTAB.
func Plain(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// The high bit of a byte below SP (x-0x20 borrows, x had it
		// clear), of DEL and above (x+1 carries into it, or had it).
		// Carries and borrows only cross from a byte already flagged.
		if ((x-ones*0x20)&^x|(x+ones)|x)&highs == 0 {
			continue
		}
		for k := i; k < i+8; k++ {
			if !plainByte(b[k]) {
				return k
			}
		}
	}
	for ; i < len(b); i++ {
		if !plainByte(b[i]) {
			return i
		}
	}
	return len(b)
}

func plainByte(c byte) bool { return ' ' <= c && c < 0x7f || c == '\t' }
