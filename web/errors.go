package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// apiError is the body of every JSON error.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	Code  string `json:"code,omitempty"`
	Phase string `json:"phase,omitempty"`
	// Errors lists every refused field when a form breaks several rules
	// (the first is also in Error, Field and Code).
	Errors []fieldErrorView `json:"errors,omitempty"`
}

// fieldErrorView is one refused field of a form.
type fieldErrorView struct {
	Error string `json:"error"`
	Field string `json:"field"`
	Code  string `json:"code"`
}

// everyField is every refused field of err, when it has several.
func everyField(tr Translator, err error) []fieldErrorView {
	var fes form.FieldErrors
	if !errors.As(err, &fes) {
		return nil
	}
	out := make([]fieldErrorView, 0, len(fes))
	for _, fe := range fes {
		out = append(out, fieldErrorView{Error: tr.fieldMessage(fe), Field: fe.Field, Code: fe.Code})
	}
	return out
}

// errNotFound hides what the caller may not see: a namespace they have no
// role in is a 404, exactly like one that does not exist.
var errNotFound = fmt.Errorf("web: %w", store.ErrNotFound)

// errForbidden is for what the caller may see but not do (a viewer
// stopping a server).
var errForbidden = fmt.Errorf("web: %w", auth.ErrForbidden)

// badRequest is a client error naming a field, with a catalog message id.
func badRequest(field, code string, params map[string]any) error {
	return &form.FieldError{Field: field, Code: code, Params: params}
}

// handleError is the one place where errors become HTTP responses.
func (w *Web) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := w.describe(c, err)
	if status >= 500 {
		w.log.ErrorContext(c.Request().Context(), "request failed",
			"method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if wantsErrorPage(c.Request()) && status != http.StatusUnauthorized {
		w.htmlError(c, status, body)
		return
	}
	_ = c.JSON(status, body)
}

// describe maps an error to a status and a translated body.
func (w *Web) describe(c echo.Context, err error) (int, apiError) {
	tr := w.translator(c)
	fe, isField := fieldErrorOf(err)
	var he *echo.HTTPError
	switch {
	case isField:
		return fieldStatus(fe), apiError{Error: tr.fieldMessage(fe), Field: fe.Field, Code: fe.Code, Errors: everyField(tr, err)}
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized, apiError{Error: tr.T("error.unauthenticated")}
	case errors.Is(err, auth.ErrForbidden):
		return http.StatusForbidden, apiError{Error: tr.T("error.forbidden")}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, apiError{Error: tr.T("error.not_found")}
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, apiError{Error: tr.T("error.conflict")}
	case errors.Is(err, form.ErrInvalidSpec):
		return http.StatusBadRequest, apiError{Error: tr.T("error.invalid")}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, apiError{Error: tr.T("error.timeout")}
	case errors.As(err, &he) && he.Code == http.StatusNotFound:
		return he.Code, apiError{Error: tr.T("error.not_found")}
	case errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed:
		return he.Code, apiError{Error: tr.T("error.method")}
	case errors.As(err, &he):
		return he.Code, apiError{Error: http.StatusText(he.Code)}
	}
	return http.StatusInternalServerError, apiError{Error: tr.T("error.internal")}
}

// fieldErrorOf finds the refused field in err: the form policy's, or auth's
// in the form's terms, so that both have one translation and one
// status rule.
func fieldErrorOf(err error) (*form.FieldError, bool) {
	var fe *form.FieldError
	if errors.As(err, &fe) {
		return fe, true
	}
	var ae *auth.FieldError
	if !errors.As(err, &ae) {
		return nil, false
	}
	fe = &form.FieldError{Field: ae.Field, Code: ae.Code, Params: ae.Params}
	if errors.Is(ae, auth.ErrLimitReached) {
		fe.Err = form.ErrLimitReached
	}
	return fe, true
}

// fieldStatus is the status of a refused field: 400 for a bad value, 409
// for a name taken, a volume in use, or a limit the namespace has used up
// (deleting or stopping something makes room), 422 for a request that
// alone asks for more than a limit allows.
func fieldStatus(fe *form.FieldError) int {
	switch {
	case errors.Is(fe, form.ErrOverLimit):
		return http.StatusUnprocessableEntity
	case errors.Is(fe, form.ErrLimitReached), errors.Is(fe, store.ErrConflict), strings.HasSuffix(fe.Code, ".taken"):
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// fieldMessage translates a field error, falling back to its English text
// when the catalog lacks the code.
func (t Translator) fieldMessage(fe *form.FieldError) string {
	id := "field." + fe.Code
	if !t.Has(id) {
		return fe.Error()
	}
	return t.T(id, fe.Params)
}

// recoverPanics turns a panicking handler into a 500 instead of a dropped
// connection, and logs it.
func (w *Web) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}
