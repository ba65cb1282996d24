package auth

import "errors"

// ErrForbidden means the caller may see what they ask about but not do
// it (an API token minting another token).
var ErrForbidden = errors.New("auth: forbidden")

// ErrLimitReached means the user has used up a limit; deleting something
// makes room (their API tokens).
var ErrLimitReached = errors.New("auth: limit reached")

// FieldError is a refused value of a request: the JSON field it was in, a
// stable message id the web layer translates, and the message's values.
type FieldError struct {
	Field  string         // JSON path, e.g. "scopes[1]"
	Code   string         // message id, e.g. "token.scope"
	Params map[string]any // values for the message
	Err    error          // ErrLimitReached for a limit; nil for a bad value
}

func (e *FieldError) Error() string { return "auth: " + e.Field + ": " + e.Code }

// Unwrap returns the sentinel the error wraps, if any.
func (e *FieldError) Unwrap() error { return e.Err }

func badField(field, code string, params map[string]any) error {
	return &FieldError{Field: field, Code: code, Params: params}
}
