package form

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

// ActivityRules say what in a server's traffic is not a person's activity,
// beyond what the proxy knows of its kind (pings, page-load kernel
// requests, viewers' frame requests).
type ActivityRules struct {
	// Ignore lists background polling: "[METHOD ]pattern", the pattern a
	// path under the base URL in path.Match syntax, or a prefix ending in
	// "**". Without a method it applies to GET and HEAD. Nil takes the
	// kind's defaults; an empty list ignores nothing.
	Ignore []string `yaml:"ignore" json:"ignore,omitempty"`
}

// defaultActivityIgnore is what the pages of each kind poll by themselves.
var defaultActivityIgnore = map[string][]string{
	KindJupyter: {
		"api/kernels", "api/kernels/*", "api/sessions", "api/sessions/*",
		"api/terminals", "api/terminals/*", "api/contents/**", "api/status",
		"api/kernelspecs", "api/me", "api/metrics/**", "metrics",
	},
	KindRStudio: {"POST events/get_events", "events/get_events"},
}

// Kinds are the image kinds.
func Kinds() []string { return slices.Clone(kinds) }

// ActivityIgnore is the image's ignore list, or its kind's defaults.
func (im Image) ActivityIgnore() []string {
	if im.Activity.Ignore != nil {
		return im.Activity.Ignore
	}
	return defaultActivityIgnore[im.Kind]
}

// ActivityRoute fills in what the proxy needs to measure activity on a
// route of spec: its kind and ignore list.
func (c Config) ActivityRoute(spec store.Spec, r store.Route) store.Route {
	r.Kind = spec.Kind
	if im, ok := c.ImageOf(spec); ok {
		r.ActivityIgnore = im.ActivityIgnore()
	} else {
		r.ActivityIgnore = defaultActivityIgnore[spec.Kind]
	}
	return r
}

func (a ActivityRules) validate(at string) error {
	for i, p := range a.Ignore {
		if _, pat, ok := strings.Cut(strings.TrimSpace(p), " "); ok {
			p = strings.TrimSpace(pat)
		}
		if strings.HasSuffix(p, "**") {
			continue
		}
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return fmt.Errorf("%s.activity.ignore[%d]: %q is not a path pattern", at, i, p)
		}
	}
	return nil
}
