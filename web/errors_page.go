package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// errorPageData is what templates/error.html shows: the status, the
// message in the reader's language, and where to go back to.
type errorPageData struct {
	Status  int
	Title   string
	Message string
	Hint    string
	Back    string // the hub's landing page
}

// errorPage is the HTML page browsers get instead of a JSON error.
var errorPage = template.Must(template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/error.html"))

// wantsErrorPage tells a browser's page request, which gets an HTML error
// page rather than the JSON body: never the API.
func wantsErrorPage(r *http.Request) bool {
	return wantsHTML(r) && !strings.HasPrefix(r.URL.Path, "/api/")
}

// writeErrorPage renders the error page for status with message.
func writeErrorPage(w http.ResponseWriter, tr Translator, status int, message, back string) {
	title := tr.T(errorTitleID(status))
	hint := ""
	if status == http.StatusNotFound || status == http.StatusForbidden {
		hint = tr.T("errorpage.hint")
	}
	var buf bytes.Buffer
	data := pageData{Tr: tr, Data: map[string]any{"Error": errorPageData{
		Status: status, Title: title, Message: message, Hint: hint, Back: back,
	}}}
	if err := errorPage.Execute(&buf, data); err != nil {
		http.Error(w, message, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorTitleID is the catalog id of the error page's title for status.
func errorTitleID(status int) string {
	switch status {
	case http.StatusNotFound:
		return "errorpage.404"
	case http.StatusForbidden:
		return "errorpage.403"
	case http.StatusBadRequest:
		return "errorpage.400"
	}
	return "errorpage.title"
}

// htmlError answers a browser's page request that failed with the error
// page; the caller has checked wantsErrorPage.
func (w *Web) htmlError(c echo.Context, status int, body apiError) {
	writeErrorPage(c.Response(), w.translator(c), status, body.Error, "/")
}
