package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"testing"
)

// headRelay is a RoundTripper over RelayHead that parses a raw head as a
// caller falling back to the generic path does.
type headRelay struct {
	t   *Transport
	raw *bool // set to whether the last head stayed raw
}

func (r headRelay) RoundTrip(req *http.Request) (*http.Response, error) {
	h := &Head{}
	res, err := r.t.RelayHead(req, nil, h)
	if err != nil {
		return nil, err
	}
	if r.raw != nil {
		*r.raw = h.Raw()
	}
	if h.Raw() {
		if _, err := h.Header(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// answered is what a client made of a response, for comparing two.
type answered struct {
	Err           bool
	Status        int
	Header        http.Header
	ContentLength int64
	Close         bool
	Body          string
	Reused        int // idle connections after it
}

// headShapes are responses the raw reading must read as http.ReadResponse
// does (raw says whether it must keep them raw).
var headShapes = []struct {
	name, resp string
	raw        bool
}{
	{"plain", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", true},
	{"odd reason", "HTTP/1.1 200 Fine\tThanks\r\nContent-Length: 2\r\n\r\nok", true},
	{"zero length", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
	{"lower case names", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-a:1\r\n\r\nok", true},
	{"blanks around values", "HTTP/1.1 200 OK\r\nContent-Length: \t2 \r\nX-A:  a b\t\r\nX-Empty:\r\n\r\nok", true},
	{"repeated fields", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\nset-cookie: b=2\r\nSet-Cookie: c=3\r\n\r\nok", true},
	{"hop-by-hop fields", "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\nContent-Length: 2\r\n\r\nok", true},
	{"Trailer without chunks", "HTTP/1.1 200 OK\r\nTrailer: X-T\r\nContent-Length: 2\r\n\r\nok", true},
	{"redirect", "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", true},
	{"server error", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", true},
	{"leading zeros", "HTTP/1.1 200 OK\r\nContent-Length: 002\r\n\r\nok", true},
	{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nContent-Length: 2\r\n\r\nok", false},
	{"Pragma", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok", false},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"Content-Length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"equal Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
	{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false},
	{"Content-Length with a comma", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", false},
	{"signed Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", false},
	{"no length", "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end", false},
	{"204", "HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n", false},
	{"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\n", false},
	{"1xx first", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
	{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok", false},
	{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false},
	{"bare LF in a value", "HTTP/1.1 200 OK\r\nX-A: 1\nX-Injected: 1\r\nContent-Length: 2\r\n\r\nok", false},
	{"bare CR in a value", "HTTP/1.1 200 OK\r\nX-A: 1\rX-Injected: 1\r\nContent-Length: 2\r\n\r\nok", false},
	{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", false},
	{"obs-text", "HTTP/1.1 200 OK\r\nX-A: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\nok", false},
	{"NUL", "HTTP/1.1 200 OK\r\nX-A: \x00\r\nContent-Length: 2\r\n\r\nok", false},
	{"status 600", "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok", false},
	{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", true},
}

func TestRelayHeadReadsAsReadResponse(t *testing.T) {
	for _, tt := range headShapes {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				// The server closes the connection after what may be read to its end.
				closes := !tt.raw || tt.name == "short body"
				want := relayOnce(t, tt.resp, closes, method, func(lt *Transport) http.RoundTripper { return lt })
				var raw bool
				got := relayOnce(t, tt.resp, closes, method, func(lt *Transport) http.RoundTripper { return headRelay{lt, &raw} })
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: RelayHead:\n%+v\nRelay:\n%+v", method, got, want)
				}
				if raw != tt.raw && !want.Err {
					t.Errorf("%s: head kept raw = %v, want %v", method, raw, tt.raw)
				}
			}
		})
	}
}

// relayOnce sends one request through a fresh lean Transport (wrapped by
// wrap) to a server answering resp, then closes the connection.
func relayOnce(t *testing.T, resp string, closes bool, method string, wrap func(*Transport) http.RoundTripper) answered {
	t.Helper()
	srv := newRawServer(t, func(int) (string, bool) { return resp, closes })
	lt := leanFor(t)
	req := &http.Request{Method: method, URL: cloneURL(srv.url, "/"), Header: http.Header{}}
	res, err := wrap(lt).RoundTrip(req)
	if err != nil {
		return answered{Err: true}
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	reused := -1 // the connection may be pooled before the close is seen
	if !closes {
		reused = lt.pool.count(srv.url.Host)
	}
	return answered{Err: err != nil, Status: res.StatusCode, Header: res.Header, ContentLength: res.ContentLength,
		Close: res.Close, Body: string(body), Reused: reused}
}

// FuzzRawHead: whatever a server sends, a head kept raw reads as
// http.ReadResponse reads it (status, fields, length, body, keep-alive),
// and never panics.
func FuzzRawHead(f *testing.F) {
	for _, tt := range headShapes {
		f.Add([]byte(tt.resp), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), true)
	f.Fuzz(func(t *testing.T, b []byte, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		req := &http.Request{Method: method}
		br := bufio.NewReader(bytes.NewReader(b))
		_, _ = br.Peek(1)
		var h Head
		lt := &Transport{}
		res := h.readPlain(br, req)
		if res == nil {
			return
		}
		lt.plainBody(&h, br, req)
		got, err := h.Header()
		if err != nil {
			t.Fatalf("raw head of %q does not parse: %v", b, err)
		}
		want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), req)
		if err != nil {
			t.Fatalf("kept %q raw; http.ReadResponse: %v", b, err)
		}
		if res.StatusCode != want.StatusCode || res.ContentLength != want.ContentLength || want.Close ||
			want.TransferEncoding != nil || !reflect.DeepEqual(got, want.Header) {
			t.Fatalf("raw head of %q: %d %d %v, ReadResponse: %d %d close=%v %v %v", b,
				res.StatusCode, res.ContentLength, got, want.StatusCode, want.ContentLength, want.Close, want.TransferEncoding, want.Header)
		}
		gotBody, gerr := io.ReadAll(res.Body)
		wantBody, werr := io.ReadAll(want.Body)
		if !bytes.Equal(gotBody, wantBody) || (gerr == nil) != (werr == nil) {
			t.Fatalf("raw head of %q: body %q (%v), ReadResponse's %q (%v)", b, gotBody, gerr, wantBody, werr)
		}
		for f, rest, ok := NextField(h.Fields()); ok; f, rest, ok = NextField(rest) {
			if vv := want.Header[http.CanonicalHeaderKey(string(f.Name))]; len(vv) == 0 {
				t.Fatalf("raw head of %q: field %q not in ReadResponse's", b, f.Name)
			}
		}
	})
}
