package web

import (
	"encoding/json"
	"net/http"
)

// Errors writes spawnhub's JSON error body in the caller's language. The
// handlers here answer through handleError; the proxy, which must not
// import web, through this (proxy.ErrorWriter), so that one body and one
// catalog serve both.
type Errors struct{ catalog *Catalog }

// NewErrors returns the error writer of the catalog.
func NewErrors(c *Catalog) Errors { return Errors{catalog: c} }

// WriteError answers with message id of the catalog, in the request's
// language.
func (e Errors) WriteError(w http.ResponseWriter, r *http.Request, status int, id string, params map[string]any) {
	msg := e.catalog.For(requestLanguage(r)).T(id, params)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: msg})
}
