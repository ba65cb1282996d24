package proxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// clientFrames is what gorilla, as a client, writes for a few messages of
// every kind and length encoding, ending with a close frame; then a frame
// that must not pass the close.
func clientFrames(t *testing.T) (stream []byte, closeEnd int) {
	t.Helper()
	var out bytes.Buffer
	c := gorillaClient(t, &out)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.WriteMessage(websocket.TextMessage, []byte("hello")))
	must(c.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte{7}, 300)))
	must(c.WriteControl(websocket.PingMessage, []byte("p"), time.Time{}))
	w, err := c.NextWriter(websocket.TextMessage) // fragmented by the 256-byte write buffer
	must(err)
	for range 3 {
		_, _ = w.Write(bytes.Repeat([]byte("f"), 300))
		must(c.WriteControl(websocket.PongMessage, nil, time.Time{})) // between fragments
	}
	must(w.Close())
	out.Write(maskedFrame(opBinary, make([]byte, 70000))) // a 64-bit length, which gorilla would fragment
	must(c.WriteMessage(websocket.TextMessage, nil))
	must(c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "done"), time.Time{}))
	closeEnd = out.Len()
	out.Write([]byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}) // gorilla would not
	return out.Bytes(), closeEnd
}

// maskedFrame is a whole frame from a client.
func maskedFrame(opcode byte, payload []byte) []byte {
	f := []byte{0x80 | opcode, 0xff}
	f = binary.BigEndian.AppendUint64(f, uint64(len(payload)))
	key := [4]byte{9, 8, 7, 6}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i&3])
	}
	return f
}

// gorillaClient is a gorilla client connection writing its frames to out.
func gorillaClient(t *testing.T, out *bytes.Buffer) *websocket.Conn {
	t.Helper()
	conn := &captureConn{out: out}
	d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return conn, nil }, WriteBufferSize: 256}
	c, _, err := d.Dial("ws://x/", nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	return c
}

// captureConn answers a client's handshake and keeps what it writes.
type captureConn struct {
	bytesConn
	out *bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error) {
	c.out.Write(p)
	if c.r != nil {
		return len(p), nil
	}
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.out.Bytes())))
	if err != nil {
		return len(p), nil // more to come
	}
	c.r = strings.NewReader("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(r.Header.Get("Sec-Websocket-Key")) + "\r\n\r\n")
	return len(p), nil
}

// pipeFor is a pipe from a client (or a server) to a captured
// destination.
func pipeFor(fromClient bool, maxMessage int64) (*wsPipe, *bytes.Buffer) {
	p := New(Options{MaxMessageSize: maxMessage})
	c := &wsConn{p: p, key: "alice/lab", ns: "alice"}
	var out bytes.Buffer
	c.client.init(&captureConn{out: &out, bytesConn: bytesConn{r: strings.NewReader("")}}, false)
	c.backend.init(&captureConn{out: &out, bytesConn: bytesConn{r: strings.NewReader("")}}, true)
	c.up = wsPipe{c: c, fromClient: true}
	c.down = wsPipe{c: c}
	if fromClient {
		return &c.up, &out
	}
	return &c.down, &out
}

// TestPipeRelaysFramesCutAnywhere: however the client's bytes arrive,
// the pipe relays them unchanged up to and with the close frame, and
// nothing after it.
func TestPipeRelaysFramesCutAnywhere(t *testing.T) {
	stream, closeEnd := clientFrames(t)
	chunkings := map[string]func(i int) int{
		"whole":        func(int) int { return len(stream) },
		"byte by byte": func(int) int { return 1 },
	}
	for _, size := range []int{2, 3, 7, 13, 100, 4096} {
		chunkings["by "+strconv.Itoa(size)] = func(int) int { return size }
	}
	rng := rand.New(rand.NewPCG(1, 2))
	chunkings["random"] = func(int) int { return 1 + rng.IntN(40) }
	for name, next := range chunkings {
		t.Run(name, func(t *testing.T) {
			d, out := pipeFor(true, 1<<20)
			for i := 0; i < len(stream); {
				n := min(next(i), len(stream)-i)
				d.relay(stream[i : i+n])
				i += n
			}
			if got := out.Bytes(); !bytes.Equal(got, stream[:closeEnd]) {
				t.Errorf("relayed %d bytes, want the %d up to the close frame's end; equal prefix %d",
					len(got), closeEnd, commonPrefix(got, stream))
			}
			if !d.src().gotClose || !d.dst().sentClose || d.mode != skipping {
				t.Errorf("after the close: got %v, sent %v, mode %d; want true, true, skipping", d.src().gotClose, d.dst().sentClose, d.mode)
			}
		})
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < min(len(a), len(b)) && a[n] == b[n] {
		n++
	}
	return n
}

// TestPipeStopsAtBadFrames: a frame too big, unmasked from a client,
// masked from a server, a stray continuation or a reserved opcode is not
// relayed, nor anything after it; what came before it is.
func TestPipeStopsAtBadFrames(t *testing.T) {
	good := []byte{0x81, 0x82, 0, 0, 0, 0, 'o', 'k'}
	for _, tt := range []struct {
		name       string
		fromClient bool
		frame      []byte
		tooBig     bool
	}{
		{"too big", true, []byte{0x82, 0xfe, 0x04, 0x00, 1, 2, 3, 4}, true},
		{"unmasked from the client", true, []byte{0x81, 0x01, 'x'}, false},
		{"masked from the server", false, []byte{0x81, 0x81, 1, 2, 3, 4, 'x'}, false},
		{"stray continuation", true, []byte{0x80, 0x80, 1, 2, 3, 4}, false},
		{"reserved opcode", true, []byte{0x83, 0x80, 1, 2, 3, 4}, false},
		{"long ping", true, []byte{0x89, 0xfe, 0, 200, 1, 2, 3, 4}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := pipeFor(tt.fromClient, 1000)
			first := good
			if !tt.fromClient {
				first = []byte{0x81, 0x02, 'o', 'k'}
			}
			stream := append(append(append([]byte{}, first...), tt.frame...), first...)
			cut := d.scan(stream)
			if cut != len(first) || d.ev.tooBig != tt.tooBig || d.ev.bad == tt.tooBig {
				t.Errorf("cut %d, too big %v, bad %v; want %d, %v, %v", cut, d.ev.tooBig, d.ev.bad, len(first), tt.tooBig, !tt.tooBig)
			}
		})
	}
}

// FuzzPipeChunking: on any bytes from a client or a server, however they
// are cut into reads, the pipe relays the same bytes as when they arrive
// whole, and those are a prefix of what it read (it never rewrites); all
// it adds is its own close frame (masked at random for a server, so that
// only its place is compared).
func FuzzPipeChunking(f *testing.F) {
	whole := maskedFrame(websocket.TextMessage, []byte("hello"))
	f.Add(whole, uint64(3), true)
	f.Add(append(append([]byte{}, whole...), maskedFrame(websocket.CloseMessage, []byte{3, 232})...), uint64(1), true)
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o', 0x82, 0x7e, 0, 2, 1, 2}, uint64(0x0102030405), false)
	f.Add([]byte{0x01, 0x01, 'a', 0x80, 0x01, 'b', 0x89, 0x00}, uint64(7), false)
	f.Fuzz(func(t *testing.T, b []byte, cuts uint64, fromClient bool) {
		ref, refOut := pipeFor(fromClient, 1<<10)
		ref.relay(b)
		d, out := pipeFor(fromClient, 1<<10)
		rng := rand.New(rand.NewPCG(cuts, uint64(len(b))))
		for i := 0; i < len(b); {
			n := min(1+rng.IntN(16), len(b)-i)
			d.relay(b[i : i+n])
			i += n
		}
		got, want := relayedPart(t, b, out.Bytes()), relayedPart(t, b, refOut.Bytes())
		if got != want {
			t.Fatalf("input %x: relayed %d bytes in pieces, %d whole", b, got, want)
		}
	})
}

// relayedPart is how much of in out begins with: the rest of out must be
// the proxy's own close frames (one to each side at most).
func relayedPart(t *testing.T, in, out []byte) int {
	t.Helper()
	for k := min(len(in), len(out)); k >= 0; k-- {
		if bytes.Equal(in[:k], out[:k]) && onlyCloseFrames(out[k:]) {
			return k
		}
	}
	t.Fatalf("input %x: output %x is no prefix of it followed by close frames", in, out)
	return 0
}

func onlyCloseFrames(b []byte) bool {
	for frames := 0; len(b) > 0; frames++ {
		h, n, err := parseFrameHeader(b, 0)
		if n == 0 || err != nil || h.opcode != opClose || frames == 2 || int64(len(b)-n) < h.length {
			return false
		}
		b = b[n+int(h.length):]
	}
	return true
}
