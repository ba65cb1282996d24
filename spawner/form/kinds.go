package form

import (
	"net/http"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Profile is how one kind of workspace is served: how the proxy presents
// it (the path it sees, headers it needs, redirects kept under the prefix,
// how long it may take to answer) and how its readiness is checked. Each
// kind has its defaults here (KindProfile); an image overrides them with
// its proxy block and readyPath (Image.Profile).
type Profile struct {
	// StripPrefix runs the server at "/" and has the proxy strip
	// /notebook/<ns>/<server>; false keeps the path (the server runs
	// under its base URL, NB_PREFIX).
	StripPrefix bool
	// Headers are set on every request to the server. In values, {base}
	// is the base URL /notebook/<ns>/<server>/ and {prefix} the same
	// without its trailing slash.
	Headers map[string]string
	// RewriteRedirects keeps the server's redirects under the prefix:
	// a Location that is an absolute path outside it, or an absolute URL
	// to the server itself or to the request's host, is moved under it.
	RewriteRedirects bool
	// ResponseTimeout is how long the proxy waits for the server's
	// response header (long polls); 0 is the proxy's own timeout.
	ResponseTimeout time.Duration
	// ReadyPath, under the path the server runs at, answers 200 once the
	// server is up, without the server's token: the Kubernetes kubelet
	// probes it unauthenticated. Empty: the port accepting connections
	// (Kubernetes) or any answer below 500 (local backend).
	ReadyPath string
	// Port is where the kind's container images listen (Kubernetes);
	// 0 leaves the backend's default.
	Port int
}

// ImageProxy is an image's override of its kind's presentation. Zero
// fields keep the kind's default.
type ImageProxy struct {
	// Prefix is "keep" or "strip" (see Profile.StripPrefix).
	Prefix string `yaml:"prefix" json:"prefix,omitempty"`
	// Headers are added to (or, with an empty value, removed from) the
	// kind's headers.
	Headers          map[string]string `yaml:"headers" json:"headers,omitempty"`
	RewriteRedirects *bool             `yaml:"rewriteRedirects" json:"rewriteRedirects,omitempty"`
	ResponseTimeout  time.Duration     `yaml:"responseTimeout" json:"responseTimeout,omitempty"`
}

// Prefix values of ImageProxy.
const (
	PrefixKeep  = "keep"
	PrefixStrip = "strip"
)

// rstudioLongPoll is the RStudio profile's response timeout: RStudio
// Server's events/get_events long poll holds a request for about a minute
// before answering, so it needs more than the 60–70 s many proxies allow.
const rstudioLongPoll = 5 * time.Minute

// kindProfiles are the defaults of each kind.
var kindProfiles = map[string]Profile{
	// Jupyter runs under its base_url (NB_PREFIX); GET <base>api answers
	// {"version": …} without a token in notebook and jupyter_server.
	KindJupyter: {ReadyPath: "api", Port: 8888},
	// RStudio Server serves at "/" and builds its URLs from
	// X-RStudio-Root-Path (as behind Kubeflow's Istio rewrite or Posit's
	// Traefik examples); some of its redirects are still absolute
	// (/auth-sign-in), hence the rewrite.
	KindRStudio: {
		StripPrefix:      true,
		Headers:          map[string]string{"X-RStudio-Root-Path": "{base}", "X-Forwarded-Prefix": "{prefix}"},
		RewriteRedirects: true,
		ResponseTimeout:  rstudioLongPoll,
		Port:             8787,
	},
	// websockify serves noVNC's files and its websocket at "/".
	KindDesktop: {StripPrefix: true, Headers: map[string]string{"X-Forwarded-Prefix": "{prefix}"}, RewriteRedirects: true, Port: 6080},
	// The seed's SAS image is Jupyter with SAS (kernel and SAS Studio
	// behind it): served under NB_PREFIX on Jupyter's port; SAS Studio's
	// redirects are absolute.
	KindSAS: {ReadyPath: "api", RewriteRedirects: true, Port: 8888},
	// A web application (Shiny, …) serves at "/" and may redirect to
	// absolute paths of its own.
	KindWeb:  {StripPrefix: true, RewriteRedirects: true},
	KindDemo: {},
}

// KindProfile returns the defaults of kind (none for an unknown kind).
func KindProfile(kind string) Profile {
	p := kindProfiles[kind]
	p.Headers = cloneHeaders(p.Headers)
	return p
}

// Profile returns how im is served: its kind's defaults with the image's
// overrides.
func (im Image) Profile() Profile {
	p := KindProfile(im.Kind)
	o := im.Proxy
	switch {
	case o.Prefix == PrefixStrip || im.StripPrefix:
		p.StripPrefix = true
	case o.Prefix == PrefixKeep:
		p.StripPrefix = false
	}
	for name, v := range o.Headers {
		if p.Headers == nil {
			p.Headers = map[string]string{}
		}
		name = http.CanonicalHeaderKey(name)
		if v == "" {
			delete(p.Headers, name)
		} else {
			p.Headers[name] = v
		}
	}
	if o.RewriteRedirects != nil {
		p.RewriteRedirects = *o.RewriteRedirects
	}
	if o.ResponseTimeout > 0 {
		p.ResponseTimeout = o.ResponseTimeout
	}
	if im.ReadyPath != "" {
		p.ReadyPath = im.ReadyPath
	}
	return p
}

// Present adds the profile's presentation of server key to its route.
func (p Profile) Present(r store.Route, key store.Key) store.Route {
	r.StripPrefix = p.StripPrefix
	r.RewriteRedirects = p.RewriteRedirects
	r.ResponseTimeout = p.ResponseTimeout
	r.Headers = nil
	if len(p.Headers) > 0 {
		base := key.BasePath()
		expand := strings.NewReplacer("{base}", base, "{prefix}", strings.TrimSuffix(base, "/"))
		r.Headers = make(map[string]string, len(p.Headers))
		for name, v := range p.Headers {
			r.Headers[http.CanonicalHeaderKey(name)] = expand.Replace(v)
		}
	}
	return r
}

func cloneHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[http.CanonicalHeaderKey(k)] = v
	}
	return out
}

// validate checks an image's proxy block.
func (o ImageProxy) validate(path string) []string {
	var bad []string
	if o.Prefix != "" && o.Prefix != PrefixKeep && o.Prefix != PrefixStrip {
		bad = append(bad, path+".prefix: must be "+PrefixKeep+" or "+PrefixStrip)
	}
	if o.ResponseTimeout < 0 {
		bad = append(bad, path+".responseTimeout: must not be negative")
	}
	for name := range o.Headers {
		if !validHeaderName(name) || forbiddenHeader(name) {
			bad = append(bad, path+".headers: "+name+" is not a header the proxy may set")
		}
	}
	return bad
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// forbiddenHeader: headers the proxy owns (credentials, framing,
// forwarding of the client's address).
func forbiddenHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Cookie", "Host", "Connection", "Upgrade", "Content-Length", "Transfer-Encoding",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "Forwarded":
		return true
	}
	return false
}
