package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ErrorWriter writes spawnhub's JSON error body, {"error": "…"}, in the
// caller's language (web.Errors): the proxy names the message, the web
// layer owns the body and the catalogs.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, r *http.Request, status int, id string, params map[string]any)
}

// writeError answers with message id ("proxy.not_found"); params are
// pairs of name and value for the message.
func (p *Proxy) writeError(w http.ResponseWriter, r *http.Request, status int, id string, params ...string) {
	p.metrics.request(status)
	var m map[string]any
	if len(params) > 1 {
		m = make(map[string]any, len(params)/2)
		for i := 0; i+1 < len(params); i += 2 {
			m[params[i]] = params[i+1]
		}
	}
	p.errors.WriteError(w, r, status, id, m)
}

// englishErrors is the ErrorWriter without a catalog (tests, embedding):
// the English text of each message.
type englishErrors struct{}

// english are the proxy's messages in English, by id; the web layer's
// catalogs have the same ids in every language.
var english = map[string]string{
	"proxy.cross_origin":      "cross-origin request to a workspace",
	"proxy.misdirected":       "this host is not served here",
	"proxy.method":            "method not allowed",
	"proxy.foreign_state":     "this sign-in was not started by this browser: open the workspace again",
	"proxy.bad_code":          "this sign-in link is invalid or has expired: open the workspace again",
	"proxy.not_found":         "not found",
	"proxy.route_unavailable": "the server's route is unavailable",
	"proxy.auth_unavailable":  "authentication is unavailable",
	"proxy.unauthenticated":   "authentication required",
	"proxy.timeout":           "the server did not answer in time",
	"proxy.unreachable":       "the server is unreachable",
	"proxy.foreign_origin":    "upgrade from a foreign origin",
	"proxy.shutting_down":     "shutting down",
	"proxy.ws_refused":        "the server refused the websocket",
	"proxy.not_running":       "the server is not running",
	"proxy.other_origin":      "workspaces are served on %v",
	"proxy.bad_handshake":     "bad websocket handshake",
}

func (englishErrors) WriteError(w http.ResponseWriter, _ *http.Request, status int, id string, params map[string]any) {
	msg := english[id]
	if v, ok := params["Origin"]; ok {
		msg = fmt.Sprintf(msg, v)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Field string `json:"field"`
	}{Error: msg})
}
