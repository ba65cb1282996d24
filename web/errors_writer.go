package web

import (
	"encoding/json"
	"net/http"
)

// Errors writes spawnhub's JSON error body in the caller's language. The
// handlers here answer through handleError; the proxy, which must not
// import web, through this (proxy.ErrorWriter), so that one body and one
// catalog serve both.
// Browsers asking for a page get an HTML page instead, with a way back to
// the hub.
type Errors struct {
	catalog *Catalog
	hub     string // the hub's landing page
}

// NewErrors returns the error writer of the catalog; hub is the hub's
// origin, where error pages lead back to.
func NewErrors(c *Catalog, hub string) Errors { return Errors{catalog: c, hub: hub + "/"} }

// WriteError answers with message id of the catalog, in the request's
// language.
func (e Errors) WriteError(w http.ResponseWriter, r *http.Request, status int, id string, params map[string]any) {
	tr := e.catalog.For(requestLanguage(r))
	msg := tr.T(id, params)
	if wantsErrorPage(r) && status != http.StatusUnauthorized {
		writeErrorPage(w, tr, status, msg, e.hub)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: msg})
}
