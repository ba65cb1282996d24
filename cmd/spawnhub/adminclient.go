package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// adminClient calls a running spawnhub's admin API with an admin token.
type adminClient struct {
	base  *url.URL
	token string
	http  *http.Client
}

// newAdminClient checks the URL and finds the token: --token-file, else
// SPAWNHUB_TOKEN.
func newAdminClient(rawURL, tokenFile string, getenv func(string) string) (*adminClient, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want http(s)://host[:port]", rawURL)
	}
	token := getenv("SPAWNHUB_TOKEN")
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("no token: set SPAWNHUB_TOKEN or give --token-file (an API token with the admin scope)")
	}
	return &adminClient{base: u, token: token, http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// apiFailure is an error answer of the API.
type apiFailure struct {
	Status int
	Msg    string `json:"error"`
	Field  string `json:"field"`
}

func (e *apiFailure) Error() string {
	msg := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Status == http.StatusNotFound {
		msg += " — is the token an administrator's, with the admin scope?"
	}
	return msg
}

// do sends a request (body marshalled as JSON unless nil) and returns the
// answer's body, or an *apiFailure for a status over 299.
func (c *adminClient) do(ctx context.Context, method, path string, query url.Values, body any, accept string) ([]byte, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", accept)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode > 299 {
		f := &apiFailure{Status: res.StatusCode}
		_ = json.Unmarshal(b, f)
		return nil, f
	}
	return b, nil
}

func (c *adminClient) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	b, err := c.do(ctx, http.MethodGet, path, q, nil, "application/json")
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (c *adminClient) postJSON(ctx context.Context, path string, body, out any) error {
	b, err := c.do(ctx, http.MethodPost, path, nil, body, "application/json")
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
