package spawner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// KernelProbe asks a Jupyter server, with the server's own token and not
// through the proxy (so it is never a user's request), whether any of its
// kernels is busy: GET <base>api/kernels, execution_state "busy".
type KernelProbe struct {
	Client  *http.Client // default: a client with a 10 s timeout
	Timeout time.Duration
}

// Busy reports whether a kernel of the server is busy.
func (p KernelProbe) Busy(ctx context.Context, key store.Key, r store.Route) (bool, error) {
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	url := strings.TrimSuffix(r.Target, "/")
	if !r.StripPrefix {
		url += key.BasePath()
	} else {
		url += "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"api/kernels", nil)
	if err != nil {
		return false, fmt.Errorf("probe %s: %w", key, err)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "token "+r.Token)
	}
	res, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("probe %s: %w", key, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, fmt.Errorf("probe %s: api/kernels answered %s", key, res.Status)
	}
	var kernels []struct {
		ExecutionState string `json:"execution_state"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&kernels); err != nil {
		return false, fmt.Errorf("probe %s: %w", key, err)
	}
	for _, k := range kernels {
		if k.ExecutionState == "busy" {
			return true, nil
		}
	}
	return false, nil
}
