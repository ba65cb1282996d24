package proxy

import (
	"encoding/binary"
	"strings"
)

// watchMode is how a websocket's client frames are read for activity.
type watchMode uint8

const (
	watchData     watchMode = iota // every data frame is activity (generic kinds)
	watchKernel                    // a Jupyter kernel's channels: each message's msg_type
	watchTerminal                  // a Jupyter terminal: ["stdin", …] messages
	watchRFB                       // a desktop: RFB KeyEvent and PointerEvent only
)

// wsWatch reads what a client sends on one websocket, as the relay passes
// it, and tells a person's activity from traffic an open tab makes by
// itself. It unmasks only the bytes it reads, stops reading a message once
// it knows, and never allocates. Pings and pongs are never activity; the
// server's frames are not read at all.
type wsWatch struct {
	mode watchMode
	data bool    // the current frame is a data frame
	mask [4]byte // of the current frame
	off  int64   // payload bytes of the current frame already seen

	kernel msgTypeScan
	term   prefixScan
	rfb    rfbScan
}

// newWatch chooses how to read a websocket of a server of kind at rest
// (the path after /notebook/<ns>/<server>).
func newWatch(kind, rest string) wsWatch {
	switch {
	case kind == "desktop":
		return wsWatch{mode: watchRFB}
	case kind != "jupyter":
		return wsWatch{mode: watchData}
	case isKernelChannels(rest):
		return wsWatch{mode: watchKernel}
	case strings.Contains(rest, "/terminals/websocket/"):
		return wsWatch{mode: watchTerminal, term: prefixScan{prefix: terminalInput}}
	}
	return wsWatch{mode: watchData}
}

// isKernelChannels matches …/api/kernels/<id>/channels.
func isKernelChannels(rest string) bool {
	_, after, ok := strings.Cut(rest, "/api/kernels/")
	if !ok {
		return false
	}
	_, tail, ok := strings.Cut(after, "/")
	return ok && (tail == "channels" || strings.HasPrefix(tail, "channels?"))
}

// frame begins a frame from the client and returns the activity it shows
// by itself (any data frame, for generic kinds).
func (w *wsWatch) frame(h frameHeader) activitySource {
	w.data, w.mask, w.off = h.isData(), h.mask, 0
	if !w.data {
		return srcNone
	}
	first := h.opcode != opContinuation
	switch w.mode {
	case watchData:
		return srcSocket
	case watchKernel:
		if first {
			w.kernel = msgTypeScan{}
		}
	case watchTerminal:
		if first {
			w.term.reset()
		}
	}
	return srcNone
}

// payload reads b, the next payload bytes of the current frame (masked as
// they came), as far as the mode needs, and returns the activity they show.
func (w *wsWatch) payload(b []byte) activitySource {
	if !w.data || w.mode == watchData {
		return srcNone
	}
	off := w.off
	w.off += int64(len(b))
	switch w.mode {
	case watchKernel:
		return w.kernel.feed(b, w.mask, off)
	case watchTerminal:
		return w.term.feed(b, w.mask, off)
	case watchRFB:
		src := w.rfb.feed(b, w.mask, off)
		if src == srcLost { // a stream the parser cannot follow: count data frames
			w.mode = watchData
			return srcSocket
		}
		return src
	}
	return srcNone
}

// unmask is payload byte j of b, at offset off of its frame.
func unmask(b []byte, j int, mask [4]byte, off int64) byte {
	return b[j] ^ mask[(off+int64(j))&3]
}

// unmaskInto unmasks as much of src as dst holds, eight bytes at a time,
// and returns how much.
func unmaskInto(dst, src []byte, mask [4]byte, off int64) int {
	n := min(len(dst), len(src))
	var m [8]byte
	for k := range m {
		m[k] = mask[(off+int64(k))&3]
	}
	w := binary.LittleEndian.Uint64(m[:])
	i := 0
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:])^w)
	}
	for ; i < n; i++ {
		dst[i] = src[i] ^ mask[(off+int64(i))&3]
	}
	return n
}
