package proxy

import (
	"bytes"
	"testing"
)

// BenchmarkPipeActivity measures the client→server relay per frame of each
// kind of traffic, relay-only (as the relay was before activity was read
// per kind: every data frame counts) and with-activity; compare the two
// of one payload in the same run. It reports allocations (none).
func BenchmarkPipeActivity(b *testing.B) {
	kernel := []byte(`{"header":{"msg_id":"f0c3a1e2-1b7d-4a55-9d1c-0a5c1e8f7e21","msg_type":"execute_request","session":"s","username":"u","version":"5.3"},"parent_header":{},"metadata":{},"content":{"code":"1+1","silent":false},"channel":"shell"}`)
	rfb := append(fbUpdateRequest(), 5, 0, 0x01, 0x10, 0x00, 0x20)
	for _, bc := range []struct {
		name    string
		watch   wsWatch
		start   []byte // relayed once before timing
		payload []byte
		opcode  byte
	}{
		{"kernel", wsWatch{mode: watchKernel}, nil, kernel, opText},
		{"kernel-v1", wsWatch{mode: watchKernel}, nil, v1Message("execute_request"), opBinary},
		{"terminal", wsWatch{mode: watchTerminal, term: prefixScan{prefix: terminalInput}}, nil, []byte(`["stdin","l"]`), opText},
		{"desktop", wsWatch{mode: watchRFB}, rfbClientStart(), rfb, opBinary},
	} {
		for _, with := range []bool{false, true} {
			name := bc.name + "/relay-only"
			if with {
				name = bc.name + "/with-activity"
			}
			b.Run(name, func(b *testing.B) {
				const frames = 64
				var chunk bytes.Buffer
				for range frames {
					chunk.Write(maskedFrame(bc.opcode, bc.payload))
				}
				d, out := pipeFor(true, 1<<30)
				d.watch = wsWatch{mode: watchData} // as the relay was: every data frame counts
				if with {
					d.watch = bc.watch
					if bc.watch.mode == watchKernel { // marks point to the kernel's name
						d.c.kernel = namedKernel("python3")
					}
				}
				if bc.start != nil {
					d.relay(maskedFrame(opBinary, bc.start))
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					out.Reset()
					d.relay(chunk.Bytes())
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
				if with && d.watch.mode != bc.watch.mode {
					b.Fatalf("watch mode changed to %d: the stream was not followed", d.watch.mode)
				}
			})
		}
	}
}
