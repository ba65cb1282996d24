package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// waitReady polls url with the token until the server answers: 200 when
// needOK (a ReadyPath such as api/status), any status below 500 otherwise.
// It gives up when ctx ends or the process exits.
func (b *Backend) waitReady(ctx context.Context, p *proc, url, token string, needOK bool) error {
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	delay := 50 * time.Millisecond
	for {
		if probe(ctx, client, url, token, needOK) {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("the server did not answer at %s: %w", url, ctx.Err())
		case <-p.exited:
			t.Stop()
			return fmt.Errorf("the server exited while starting (%s)", exitText(p.waitErr))
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

func probe(ctx context.Context, client *http.Client, url, token string, needOK bool) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "token "+token)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if needOK {
		return resp.StatusCode == http.StatusOK
	}
	return resp.StatusCode < 500
}

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
