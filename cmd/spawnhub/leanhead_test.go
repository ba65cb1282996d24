package main

import (
	"bufio"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/spawnhub/spawnhub/proxy/headscan"
)

// leanHeadSeeds are heads the lean parser must take or must leave to
// net/http; the fuzz target starts from them.
var leanHeadSeeds = []string{
	"GET / HTTP/1.1\r\nHost: a.localhost\r\n\r\n",
	"HEAD /x?y=1 HTTP/1.1\r\nHost: a.localhost:8080\r\nCookie: a=1\r\ncookie: b=2\r\n\r\n",
	"GET /p HTTP/1.1\r\nhost: h\r\nPragma: no-cache\r\nConnection: Keep-Alive\r\nuser-agent: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY: \t v \t\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tfolded\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\n\n",
	"GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\nX: 1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
	"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
	"get / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	"GET / HTTP/1.1\r\nHo(st: a\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
	"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
}

// FuzzLeanHead holds the lean parser to net/http's: whatever head it
// takes, net/http's server reads the same way (method, target, host,
// header) and finds valid, with no body. What it does not take goes to
// net/http, so only the first half needs holding.
func FuzzLeanHead(f *testing.F) {
	for _, s := range leanHeadSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, scan := scanHead(b)
		if scan != headscan.Done {
			return
		}
		h := leanHead{header: http.Header{}}
		var lr http.Request
		if !h.parse(string(b[:n])) || !h.request(&lr, &http.Request{}) {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(b[:n]))))
		if err != nil {
			t.Fatalf("lean parser took %q, net/http refuses it: %v", b[:n], err)
		}
		assertServerValid(t, want, b[:n])
		switch {
		case lr.Method != want.Method, lr.RequestURI != want.RequestURI, lr.Host != want.Host,
			lr.URL.String() != want.URL.String(), lr.Proto != want.Proto, lr.Close != want.Close:
			t.Fatalf("%q: lean %s %s %s %s, net/http %s %s %s %s", b[:n], lr.Method, lr.RequestURI, lr.Host, lr.URL, want.Method, want.RequestURI, want.Host, want.URL)
		case !reflect.DeepEqual(map[string][]string(lr.Header), map[string][]string(want.Header)):
			t.Fatalf("%q: lean header %q, net/http %q", b[:n], lr.Header, want.Header)
		case want.ContentLength != 0 || len(want.TransferEncoding) > 0 || want.Body != http.NoBody:
			t.Fatalf("%q: lean parser took a request with a body", b[:n])
		}
	})
}

// assertServerValid makes the checks net/http's server makes after
// ReadRequest (conn.readRequest), which answers 400 when one fails.
func assertServerValid(t *testing.T, r *http.Request, raw []byte) {
	t.Helper()
	if _, ok := r.Header["Host"]; ok || r.Host == "" || !httpguts.ValidHostHeader(r.Host) {
		t.Fatalf("lean parser took %q, whose Host net/http refuses", raw)
	}
	for k, vv := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			t.Fatalf("lean parser took %q, whose field %q net/http refuses", raw, k)
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				t.Fatalf("lean parser took %q, whose value %q net/http refuses", raw, v)
			}
		}
	}
	if r.ProtoMajor != 1 || r.ProtoMinor != 1 || r.Close || r.Header.Get("Upgrade") != "" {
		t.Fatalf("lean parser took %q, which is not a plain HTTP/1.1 keep-alive request", raw)
	}
}

// TestLeanHeadSubset pins which seeds the lean path takes: the plain
// ones, and nothing ambiguous or unusual.
func TestLeanHeadSubset(t *testing.T) {
	took := map[string]bool{}
	for _, s := range leanHeadSeeds {
		n, scan := scanHead([]byte(s))
		h := leanHead{header: http.Header{}}
		var r http.Request
		took[s] = scan == headscan.Done && n == len(s) && h.parse(s) && h.request(&r, &http.Request{})
	}
	for i, s := range leanHeadSeeds {
		if want := i < 4; took[s] != want {
			t.Errorf("lean parser takes %q: %v, want %v", s, took[s], want)
		}
	}
}

// FuzzLeanTarget: a target parseTarget takes parses as with
// url.ParseRequestURI.
func FuzzLeanTarget(f *testing.F) {
	for _, s := range []string{"/", "/a/b?c=d", "/a?", "/a??b", "/%41", "/a#b", "/a b", "/é", "/a\"b", "/a;b=c/d:e@f!$&'()*+,", "//x/y", "/a|b^c`d{e}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		var got url.URL
		if !parseTarget(target, &got) {
			return
		}
		want, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatalf("parseTarget took %q; url.ParseRequestURI: %v", target, err)
		}
		if got != *want || got.EscapedPath() != want.EscapedPath() || got.RequestURI() != want.RequestURI() {
			t.Fatalf("parseTarget(%q) = %#v, url.ParseRequestURI: %#v", target, got, *want)
		}
	})
}
