package proxy

import (
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

// feedSplit sends payload through a fresh watch of mode as one masked frame
// whose bytes arrive in two pieces cut at cut, and returns the activity.
func feedSplit(w wsWatch, payload []byte, cut int) string {
	mask := [4]byte{0x5a, 0x13, 0xc7, 0x81}
	masked := make([]byte, len(payload))
	for i, c := range payload {
		masked[i] = c ^ mask[i&3]
	}
	got := w.frame(frameHeader{fin: true, opcode: opBinary, masked: true, mask: mask, length: int64(len(payload))})
	for _, part := range [][]byte{masked[:cut], masked[cut:]} {
		if src := w.payload(part); src != srcNone {
			got = src
		}
	}
	return got.String()
}

// TestWatchCutAnywhere: wherever the relay's reads cut a message, the
// watch reads the same activity from it.
func TestWatchCutAnywhere(t *testing.T) {
	long := `{"header":{"msg_id":"` + string(make([]byte, 300)) + `","msg_type":"execute_request"}}`
	for _, tt := range []struct {
		name    string
		watch   wsWatch
		payload []byte
		want    string
	}{
		{"kernel execute", wsWatch{mode: watchKernel}, []byte(`{"header": {"msg_type": "execute_request"}}`), store.SourceKernel},
		{"kernel execute after 300 bytes", wsWatch{mode: watchKernel}, []byte(long), store.SourceKernel},
		{"kernel info", wsWatch{mode: watchKernel}, []byte(`{"header":{"msg_type":"kernel_info_request"}}`), ""},
		{"v1 comm", wsWatch{mode: watchKernel}, v1Message("comm_msg"), store.SourceKernel},
		{"terminal stdin", wsWatch{mode: watchTerminal, term: prefixScan{prefix: terminalInput}}, []byte(`["stdin","x"]`), store.SourceTerminal},
		{"rfb pointer", wsWatch{mode: watchRFB}, append(rfbClientStart(), 5, 0, 0, 1, 0, 1), store.SourceMouse},
		{"rfb key", wsWatch{mode: watchRFB}, append(rfbClientStart(), 4, 1, 0, 0, 0, 0, 0, 0x41), store.SourceKeyboard},
		{"rfb qemu key", wsWatch{mode: watchRFB}, append(rfbClientStart(), 255, 0, 0, 1, 0, 0, 0, 0x41, 0, 0, 0, 0x1e), store.SourceKeyboard},
		{"rfb update requests", wsWatch{mode: watchRFB}, append(rfbClientStart(), fbUpdateRequest()...), ""},
		{"rfb 3.3", wsWatch{mode: watchRFB}, []byte("RFB 003.003\n\x01"), store.SourceSocket},
	} {
		for cut := 0; cut <= len(tt.payload); cut++ {
			if got := feedSplit(tt.watch, tt.payload, cut); got != tt.want {
				t.Errorf("%s cut at %d: activity %q, want %q", tt.name, cut, got, tt.want)
				break
			}
		}
	}
}

func FuzzRFBScan(f *testing.F) {
	f.Add(append(rfbClientStart(), 5, 0, 0, 1, 0, 1), 7)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		if cut < 0 || cut > len(stream) {
			return
		}
		whole := feedSplit(wsWatch{mode: watchRFB}, stream, len(stream))
		if got := feedSplit(wsWatch{mode: watchRFB}, stream, cut); got != whole && !(got != "" && whole != "") {
			t.Errorf("cut at %d: %q, whole: %q", cut, got, whole)
		}
	})
}
