package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// waitReady polls url with the token until the server answers: 200 when
// needOK (a ReadyPath such as api/status), any status below 500 otherwise.
// The token is sent only to a socket of the server's own process group
// (see checkListener): errPortTaken when another process holds its port.
// It gives up when ctx ends or the process exits.
func (b *Backend) waitReady(ctx context.Context, p *proc, port int, url, token string, needOK bool) error {
	client := b.probeClient(p, port)
	defer client.CloseIdleConnections()
	delay := 50 * time.Millisecond
	last := "no answer"
	for {
		ready, answer, err := probe(ctx, client, url, token, needOK)
		if ready {
			return nil
		}
		if errors.Is(err, errPortTaken) {
			return fmt.Errorf("port %d: %w", port, err)
		}
		if answer != "" {
			last = answer
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("the server did not answer at %s (last: %s): %w", url, last, ctx.Err())
		case <-p.exited:
			t.Stop()
			if errors.Is(checkListener(b.o.Host, port, p.pid), errPortTaken) { // the group is gone: anyone there is another
				return fmt.Errorf("the server exited (%s) and port %d: %w", exitText(p.waitErr), port, errPortTaken)
			}
			return errExited
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// probeClient connects only after checking that the server's process
// group owns the port, and opens a new connection for every probe.
func (b *Backend) probeClient(p *proc, port int) *http.Client {
	var d net.Dialer
	return &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			DisableKeepAlives: true,
			Proxy:             nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if err := checkListener(b.o.Host, port, p.pid); err != nil {
					return nil, err
				}
				return d.DialContext(ctx, network, addr)
			},
		},
	}
}

// probe sends one readiness request; answer describes what came back.
func probe(ctx context.Context, client *http.Client, url, token string, needOK bool) (ready bool, answer string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, "", err
	}
	req.Header.Set("Authorization", "token "+token)
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errNotListening) {
			return false, "", err
		}
		return false, err.Error(), err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if needOK {
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	}
	return resp.StatusCode < 500, resp.Status, nil
}

// errExited is a server that ended before it answered.
var errExited = errors.New("the server exited while starting")

// tailLines is how many log lines a failure shows.
const tailLines = 20

// tail returns the last n lines of the file (from its last 16 KiB).
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	const max = 16 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		return "(log unreadable)"
	}
	lines := strings.Split(string(bytes.TrimRight(b, "\n")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
