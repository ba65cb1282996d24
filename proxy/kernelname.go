package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// kernelLookupTimeout bounds the question to the server about a kernel.
const kernelLookupTimeout = 10 * time.Second

// kernelName is the name of the kernel (python3, ir, …) behind one kernel
// websocket. The proxy asks the server once, as the websocket opens;
// activity on the websocket points to it, and the name is read only when
// activity is flushed, so that marking stays an atomic store.
type kernelName struct {
	name atomic.Pointer[string]
}

// String is the name, or "" while (or if) it is not known.
func (k *kernelName) String() string {
	if k == nil {
		return ""
	}
	if n := k.name.Load(); n != nil {
		return *n
	}
	return ""
}

func namedKernel(name string) *kernelName {
	k := &kernelName{}
	k.name.Store(&name)
	return k
}

// lookupKernel returns the kernelName of the kernel websocket at wsURL
// (…/api/kernels/<id>/channels on the server) and asks the server for the
// name in the background, with the server's token: GET …/api/kernels/<id>
// straight to the server, never a user's request. Without a token there is
// nothing to ask with, and the name stays unknown. The goroutine ends with
// its request, within kernelLookupTimeout.
func (p *Proxy) lookupKernel(wsURL string, u *upstream) *kernelName {
	k := &kernelName{}
	if u.authz == nil {
		return k
	}
	model, _, _ := strings.Cut(wsURL, "?")
	model = "http" + strings.TrimPrefix(strings.TrimSuffix(model, "/channels"), "ws")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), kernelLookupTimeout)
		defer cancel()
		name, err := p.askKernelName(ctx, model, u.authz)
		if err != nil {
			p.log.Debug("kernel name unknown", "server", u.key, "err", err)
			return
		}
		k.name.Store(&name)
	}()
	return k
}

// askKernelName reads a Jupyter kernel model's name.
func (p *Proxy) askKernelName(ctx context.Context, model string, authz []string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, model, nil)
	if err != nil {
		return "", err
	}
	req.Header["Authorization"] = authz
	res, err := p.transport.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("kernel model: %s", res.Status)
	}
	var k struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&k); err != nil {
		return "", err
	}
	if !validKernelName(k.Name) {
		return "", fmt.Errorf("kernel model: name %q is not a kernel's", k.Name)
	}
	return k.Name, nil
}

// validKernelName is a kernelspec's name as Jupyter allows it: letters,
// digits, ".", "_" and "-", at most 64 of them.
func validKernelName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}
