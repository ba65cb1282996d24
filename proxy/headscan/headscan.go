// Package headscan finds where an HTTP/1.1 head ends and checks its bytes,
// eight at a time: the lean server's request parser and the lean client's
// response reader accept only heads whose lines end with CRLF and hold
// nothing but visible ASCII, SP and HTAB, and hand anything else to
// net/http, so that a head is never read two ways.
package headscan

import "encoding/binary"

// Result tells what the bytes read so far hold.
type Result int

const (
	Partial Result = iota // no end of head yet, and it may still come: read more
	Done                  // a whole head of plain lines
	Other                 // a byte or line break outside the subset
)

// Scan looks for the end of the head at the start of b (the CRLF of an
// empty line) and returns the head's length with it and Done, when every
// line before it (the first may be empty) ends with CRLF and holds only
// visible ASCII (0x21-0x7e), SP and HTAB. It returns 0 and Partial when b
// has no end of head yet but may become one, 0 and Other when it cannot (a
// CR or LF alone, a control byte, obs-text). It goes eight bytes at a time
// over the bytes of a line, one at a time over the eight around a line
// break or an odd byte.
func Scan(b []byte) (int, Result) {
	lineStart := 0
	for i := 0; ; {
		for i+8 <= len(b) && !odd(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i == len(b) {
			return 0, Partial
		}
		for end := min(i+8, len(b)); i < end; i++ {
			switch c := b[i]; {
			case ' ' <= c && c < 0x7f || c == '\t':
			case c != '\r':
				return 0, Other // LF alone, a control byte, obs-text
			case i+1 == len(b):
				return 0, Partial
			case b[i+1] != '\n':
				return 0, Other
			case i == lineStart && i > 0: // an empty first line does not end a head
				return i + 2, Done
			default:
				i++ // the LF
				lineStart = i + 1
			}
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// odd tells whether one of x's bytes is not visible ASCII or SP: the high
// bit of a byte below SP (x-0x20 borrows, x had it clear), of DEL and
// above (x+1 carries into it, or had it). Carries and borrows only cross
// from a byte already flagged.
func odd(x uint64) bool { return ((x-ones*0x20)&^x|(x+ones)|x)&highs != 0 }

// HasCTL tells whether s holds a control byte (below SP, or DEL): net/url
// refuses one in a request target, and a request line may not carry one.
func HasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}
