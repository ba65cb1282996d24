package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// waitRunning follows the server on its progress stream (server-sent
// events, one request, as the progress page does) until it runs or fails.
// A stream that breaks (its replica died) is opened again, on the next
// replica when this one does not answer.
func (u *user) waitRunning(ctx context.Context, urls []string, srv *serverJSON, streams func()) error {
	for srv.Phase != "running" {
		if srv.Phase == "failed" {
			return fmt.Errorf("%s/%s failed: %s", u.ns, u.name, srv.Message)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s/%s still %s (%s): %w", u.ns, u.name, srv.Phase, srv.Message, err)
		}
		streams()
		if _, err := u.failover(urls, func() (int, error) { return u.follow(ctx, srv) }); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// follow reads one progress stream into srv until the server runs or
// fails, or the stream ends. It returns the HTTP status (0: no answer).
func (u *user) follow(ctx context.Context, srv *serverJSON) (int, error) {
	u.mu.Lock()
	base := u.base
	u.mu.Unlock()
	path := "/api/v1/namespaces/" + u.ns + "/servers/" + u.name + "/progress"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := u.stream.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			event = name
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || event != "server" {
			continue
		}
		if err := json.Unmarshal([]byte(data), srv); err != nil {
			return res.StatusCode, fmt.Errorf("GET %s: %w", path, err)
		}
		if srv.Phase == "running" || srv.Phase == "failed" {
			return res.StatusCode, nil
		}
	}
	return res.StatusCode, nil // the stream ended: the caller opens it again
}
