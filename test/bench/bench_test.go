package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// The tool is not a test; these keep its parts from rotting. They assert
// that numbers come out, never how large they are.

func tinySettings() Settings {
	return Settings{Conns: 2, Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond,
		Rounds: 2, Echoes: 50, Idle: 20, Settle: 10 * time.Millisecond}
}

func TestMeasureDirectAndThroughAProxy(t *testing.T) {
	backend := httptest.NewServer(backendHandler())
	t.Cleanup(backend.Close)
	u, _ := url.Parse(backend.URL)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(proxy.Close)
	self := procGroup{os.Getpid()}
	hdr := http.Header{"Cookie": {"session=x"}}

	rep := Report{CPUs: 1, Settings: tinySettings()}
	b := bench{s: rep.Settings, direct: backend.URL, backend: self, path: "/notebook/alice/lab/", header: hdr,
		log: slog.New(slog.DiscardHandler)}
	rep.Results = b.measureAll(t.Context(), []target{
		{name: targetDirect, base: backend.URL},
		{name: targetNginx, base: proxy.URL, proxy: self}, // stands in for a reference proxy
	})
	for _, res := range rep.Results {
		if res.Error != "" {
			t.Fatalf("measure %s: %s", res.Target, res.Error)
		}
		if res.Requests <= 0 || res.RPS <= 0 || res.WSP50us <= 0 || res.WSP99us < res.WSP50us || res.WSDirectP50us <= 0 || res.WSMsgPerSec <= 0 || res.IdleWebsockets != 20 {
			t.Errorf("measure %s = %+v, want requests, req/s, round trips and websocket messages/s > 0 and 20 idle websockets", res.Target, res)
		}
	}
	if q := rep.Ratios(rep.Results[0]); q.RPSvsDirect != 1 {
		t.Errorf("direct vs direct = %v, want 1", q.RPSvsDirect)
	}
	var md, js bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "| direct |") {
		t.Errorf("markdown = %q, %v; want a row for direct", md.String(), err)
	}
	var out struct{ Results []map[string]any }
	if err := rep.WriteJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &out) != nil || len(out.Results) != 2 {
		t.Fatalf("json = %s, %v; want two results", js.String(), err)
	}
	if got := out.Results[1]["rpsVsNginx"]; got != 1.0 {
		t.Errorf("json rpsVsNginx of nginx = %v, want 1", got)
	}
}

func TestReadResponse(t *testing.T) {
	for _, tt := range []struct {
		name, raw string
		keep      bool
		wantErr   bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", true, false},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, false},
		{"not 200", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", false, true},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", false, true},
		{"garbage", "SSH-2.0-OpenSSH\r\n", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tt.raw + "NEXT"))
			keep, err := readResponse(r)
			if (err != nil) != tt.wantErr || (err == nil && keep != tt.keep) {
				t.Fatalf("readResponse(%q) = %v, %v; want keep %v, error %v", tt.raw, keep, err, tt.keep, tt.wantErr)
			}
			if rest, _ := r.Peek(4); err == nil && string(rest) != "NEXT" {
				t.Errorf("readResponse(%q) left %q, want the next response", tt.raw, rest)
			}
		})
	}
}

func TestProcStatOfSelf(t *testing.T) {
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getppid() || st.rss <= 0 {
		t.Errorf("readProcStat(self) = %+v, want ppid %d and rss > 0", st, os.Getppid())
	}
}

func TestNginxConf(t *testing.T) {
	conf := nginxConf("prefix", "127.0.0.1:8080", "127.0.0.1:9090", 100)
	for _, want := range []string{"daemon off;", "listen 127.0.0.1:8080;", "server 127.0.0.1:9090;", "keepalive 256;", "pid prefix/nginx.pid;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q:\n%s", want, conf)
		}
	}
}
