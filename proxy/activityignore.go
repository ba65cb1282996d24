package proxy

import (
	"net/http"
	"path"
	"strings"
)

// ignoreRule is one entry of a route's activity ignore list: background
// polling that is not a person's activity. Written "[METHOD ]pattern":
// the pattern is a path under the server's base URL without its leading
// slash, in path.Match syntax, or a prefix when it ends in "**"
// ("api/contents/**", which covers api/contents too). Without a method it applies to GET and HEAD only,
// so that a save (PUT api/contents/…) is still activity.
type ignoreRule struct {
	method  string // "" for GET and HEAD
	pattern string
	prefix  bool // pattern is a prefix ("**" removed)
}

// compileIgnore parses a route's ignore list once, when its upstream is
// made. Patterns path.Match refuses are dropped (the config checks them).
func compileIgnore(list []string) []ignoreRule {
	var rules []ignoreRule
	for _, s := range list {
		r := ignoreRule{pattern: strings.TrimSpace(s)}
		if m, p, ok := strings.Cut(r.pattern, " "); ok {
			r.method, r.pattern = strings.ToUpper(m), strings.TrimSpace(p)
		}
		r.pattern = strings.TrimPrefix(r.pattern, "/")
		if p, ok := strings.CutSuffix(r.pattern, "**"); ok {
			r.pattern, r.prefix = p, true
		} else if _, err := path.Match(r.pattern, ""); err != nil {
			continue
		}
		rules = append(rules, r)
	}
	return rules
}

// ignoredRequest reports whether a request with method for rest (the path
// after /notebook/<ns>/<server>, "" or "/…") is polling. It does not
// allocate.
func ignoredRequest(rules []ignoreRule, method, rest string) bool {
	rest = strings.TrimPrefix(rest, "/")
	for i := range rules {
		r := &rules[i]
		if !r.appliesTo(method) {
			continue
		}
		if r.prefix && (strings.HasPrefix(rest, r.pattern) || rest+"/" == r.pattern) {
			return true // "api/contents/**" covers api/contents itself
		}
		if ok, _ := path.Match(r.pattern, rest); ok && !r.prefix {
			return true
		}
	}
	return false
}

func (r *ignoreRule) appliesTo(method string) bool {
	if r.method == "" {
		return method == http.MethodGet || method == http.MethodHead
	}
	return r.method == method
}
