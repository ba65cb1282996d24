package proxy

import "encoding/binary"

// srcLost is what rfbScan returns when it cannot follow the stream (an
// unknown message or security type): the watch then counts every data
// frame, so that a person is never taken for idle.
const srcLost activitySource = 255

// rfbScan follows the client's half of an RFB stream (RFC 6143) as it
// crosses websocket frames (websockify's binary frames cut it anywhere):
// the handshake, then each message's type and length. Only KeyEvent (4),
// PointerEvent (5) and QEMU's extended key event (255/0) are activity;
// FramebufferUpdateRequests, which viewers send without end, are not.
// Message bodies are skipped without being unmasked.
type rfbScan struct {
	phase uint8
	skip  int64    // bytes to pass over
	hdr   [12]byte // the header being read
	hn    int
}

const (
	rfbVersion  = iota // "RFB 003.008\n"
	rfbSecurity        // the security type the client picked
	rfbInit            // ClientInit (the shared flag)
	rfbMessages
	rfbIgnore // lost: the watch counts data frames instead
)

// feed reads b (payload at offset off, masked with mask).
func (s *rfbScan) feed(b []byte, mask [4]byte, off int64) activitySource {
	src := srcNone
	for j := 0; j < len(b); {
		if s.skip > 0 {
			k := min(s.skip, int64(len(b)-j))
			j += int(k)
			s.skip -= k
			continue
		}
		s.hdr[s.hn] = unmask(b, j, mask, off)
		s.hn++
		j++
		need := s.headerLen()
		if need < 0 {
			s.phase = rfbIgnore
			return srcLost
		}
		if s.hn < need {
			continue
		}
		got := s.headerDone()
		s.hn = 0
		if got == srcLost {
			s.phase = rfbIgnore
			return srcLost
		}
		if got != srcNone {
			src = got
		}
	}
	return src
}

// headerLen is how many bytes the current header has, given those read;
// -1 for a message the scan does not know.
func (s *rfbScan) headerLen() int {
	switch s.phase {
	case rfbVersion:
		return 12
	case rfbSecurity, rfbInit:
		return 1
	}
	switch s.hdr[0] {
	case 0, 3, 4, 5, 150, 250: // fixed size: the rest is skipped
		return 1
	case 2: // SetEncodings: count
		return 4
	case 6: // ClientCutText: length
		return 8
	case 248: // ClientFence: length
		return 9
	case 251: // SetDesktopSize: screens
		return 8
	case 255: // QEMU: subtype
		return 2
	}
	return -1
}

// rfbFixed is the whole size of a fixed-size client message.
func rfbFixed(t byte) int64 {
	switch t {
	case 0: // SetPixelFormat
		return 20
	case 3, 150: // FramebufferUpdateRequest, EnableContinuousUpdates
		return 10
	case 4: // KeyEvent
		return 8
	case 5: // PointerEvent
		return 6
	}
	return 4 // 250: xvp
}

// headerDone acts on a whole header: the phase that follows, the bytes to
// skip, and the activity it is.
func (s *rfbScan) headerDone() activitySource {
	h := s.hdr[:s.hn]
	switch s.phase {
	case rfbVersion:
		if string(h[:4]) != "RFB " || string(h[4:11]) == "003.003" {
			return srcLost // 3.3: the server alone picks the security type
		}
		s.phase = rfbSecurity
		return srcNone
	case rfbSecurity:
		switch h[0] {
		case 1: // None
		case 2: // VNC authentication: a 16-byte response
			s.skip = 16
		default:
			return srcLost
		}
		s.phase = rfbInit
		return srcNone
	case rfbInit:
		s.phase = rfbMessages
		return srcNone
	}
	return s.message(h)
}

func (s *rfbScan) message(h []byte) activitySource {
	switch t := h[0]; t {
	case 2:
		s.skip = 4 * int64(binary.BigEndian.Uint16(h[2:4]))
	case 6:
		n := int64(int32(binary.BigEndian.Uint32(h[4:8])))
		s.skip = max(n, -n) // negative: extended clipboard
	case 248:
		s.skip = int64(h[8])
	case 251:
		s.skip = 16 * int64(h[6])
	case 255:
		if h[1] != 0 {
			return srcLost
		}
		s.skip = 10
		return srcKeyboard
	default:
		s.skip = rfbFixed(t) - 1
		switch t {
		case 4:
			return srcKeyboard
		case 5:
			return srcMouse
		}
	}
	return srcNone
}
