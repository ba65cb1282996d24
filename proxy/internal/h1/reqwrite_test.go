package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// written is what a server parses from a written request.
type written struct {
	Method, RequestURI, Host string
	ContentLength            int64
	Close                    bool
	Header                   http.Header
}

// parseWritten writes req with write and parses it back.
func parseWritten(t *testing.T, req *http.Request, write func(*bufio.Writer, *http.Request) error) (written, error) {
	t.Helper()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := write(bw, req); err != nil {
		return written{}, err
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		return written{}, err
	}
	return written{got.Method, got.RequestURI, got.Host, got.ContentLength, got.Close, got.Header}, nil
}

func stdWrite(w *bufio.Writer, req *http.Request) error { return req.Write(w) }

// writeCase is a request to write, and how.
type writeCase struct {
	name, method, url, host string
	header                  http.Header
	close                   bool
}

var writeCases = []writeCase{
	{"get", "GET", "http://127.0.0.1:8888/notebook/alice/lab/api/status?x=1&y=%2F", "", http.Header{
		"Accept": {"*/*"}, "X-Forwarded-For": {"127.0.0.1"}, "Cookie": {"a=1", "b=2"}}, false},
	{"default method and path", "", "http://pod", "", nil, false},
	{"escaped path", "GET", "http://pod:80/a%2Fb/c%20d", "", nil, false},
	{"force query", "GET", "http://pod:80/a?", "", nil, false},
	{"post", "POST", "http://pod:80/api/kernels/1/interrupt", "", nil, false},
	{"delete", "DELETE", "http://pod:80/api/sessions/1", "", nil, false},
	{"no user agent", "GET", "http://pod:80/", "", http.Header{"User-Agent": {""}}, false},
	{"user agent", "GET", "http://pod:80/", "", http.Header{"User-Agent": {"lab/4 \r\n x "}}, false},
	{"newlines in a value", "GET", "http://pod:80/", "", http.Header{"X-A": {"one\r\ntwo", "  three\t"}}, false},
	{"invalid field name", "GET", "http://pod:80/", "", http.Header{"Bad Name": {"x"}, "Good": {"y"}}, false},
	{"excluded fields", "GET", "http://pod:80/", "", http.Header{"Content-Length": {"5"}, "Transfer-Encoding": {"chunked"}, "Trailer": {"X"}}, false},
	{"host override", "GET", "http://pod:80/", "example.org:8443", nil, false},
	{"ipv6", "GET", "http://[::1]:8888/", "", nil, false},
	{"unicode host", "GET", "http://pod:80/", "bücher.example", nil, false},
	{"close", "GET", "http://pod:80/", "", nil, true},
}

func (tt writeCase) request(t *testing.T) *http.Request {
	t.Helper()
	u, err := url.Parse(tt.url)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{Method: tt.method, URL: u, Host: tt.host, Header: tt.header, Close: tt.close}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	return req
}

func TestWriteRequestMatchesRequestWrite(t *testing.T) {
	for _, tt := range writeCases {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.request(t)
			want, werr := parseWritten(t, req, stdWrite)
			got, gerr := parseWritten(t, req, func(w *bufio.Writer, r *http.Request) error { return WriteRequest(w, r, nil) })
			if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(got, want) {
				t.Errorf("WriteRequest gave\n%+v (%v)\nRequest.Write gave\n%+v (%v)", got, gerr, want, werr)
			}
		})
	}
}

// headerFields writes a Header's fields as a FieldWriter, every other
// value in bytes.
type headerFields http.Header

func (h headerFields) WriteFields(f Fields) {
	for k, vv := range h {
		for i, v := range vv {
			if i%2 == 0 {
				f.Add(k, v)
			} else {
				f.AddBytes(k, []byte(v))
			}
		}
	}
}

// TestFieldsWriteAsHeader: fields written by a FieldWriter reach the
// server as the same fields in a Header would, but for the User-Agent the
// writer adds none for (on the fast path and through Request.Write).
func TestFieldsWriteAsHeader(t *testing.T) {
	for _, tt := range writeCases {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.request(t)
			fields := headerFields(req.Header.Clone())
			if _, ok := req.Header["User-Agent"]; !ok {
				req.Header["User-Agent"] = []string{""}
			}
			want, werr := parseWritten(t, req, stdWrite)
			got, gerr := parseWritten(t, req, func(w *bufio.Writer, r *http.Request) error {
				r.Header = http.Header{"X-Not-Written": {"1"}}
				return WriteRequest(w, r, fields)
			})
			if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(got, want) {
				t.Errorf("with fields\n%+v (%v)\nRequest.Write gave\n%+v (%v)", got, gerr, want, werr)
			}
		})
	}
}

func FuzzWriteRequest(f *testing.F) {
	f.Add("GET", "/a?b=c", "pod:80", "X-A", "v")
	f.Add("POST", "/a%2Fb", "[::1]:1", "Cookie", "a=1; b=2")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, uri, host, k, v string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return
		}
		u.Scheme, u.Host = "http", "pod:80"
		req := &http.Request{Method: method, URL: u, Host: host, Header: http.Header{k: {v}}}
		want, werr := parseWritten(t, req, stdWrite)
		got, gerr := parseWritten(t, req, func(w *bufio.Writer, r *http.Request) error { return WriteRequest(w, r, nil) })
		if werr != nil || gerr != nil {
			if (werr != nil) != (gerr != nil) {
				t.Errorf("errors: WriteRequest %v, Request.Write %v", gerr, werr)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("WriteRequest gave\n%+v\nRequest.Write gave\n%+v", got, want)
		}
	})
}
