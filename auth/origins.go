package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Place is where a request is addressed, by its Host.
type Place int

const (
	PlaceUnknown   Place = iota // a host spawnhub does not serve: DNS rebinding or a misdirected request
	PlaceHub                    // the hub: pages, API, login
	PlaceWorkspace              // a workspace origin
)

// nsPlaceholder is where a workspace URL template puts the namespace.
const nsPlaceholder = "{ns}"

// Origins knows the hub's origin and every namespace's workspace origin,
// and tells which one a request's Host names. Workspaces live on origins of
// their own, so that what a workspace serves never runs with the hub's
// cookie (DESIGN "Origins").
type Origins struct {
	hubScheme, hubHost string
	wsScheme           string
	wsPrefix, wsSuffix string // a workspace host is wsPrefix + ns + wsSuffix
	perNamespace       bool   // the template has {ns}; else one host for all
	sameOrigin         bool   // workspaces on the hub origin (insecure)
	loopbackHub        bool   // development: every loopback name is the hub too
}

// NewOrigins returns the origins of a deployment: hub is the public URL;
// workspaceURL a template such as "https://{ns}.nb.example.org" (or one
// host for every workspace). sameOrigin serves workspaces on the hub
// origin instead; loopbackHub accepts any loopback host name as the hub
// (development mode).
func NewOrigins(hub *url.URL, workspaceURL string, sameOrigin, loopbackHub bool) (*Origins, error) {
	if hub == nil || hub.Host == "" {
		return nil, errors.New("origins: the hub URL has no host")
	}
	o := &Origins{
		hubScheme: strings.ToLower(hub.Scheme), sameOrigin: sameOrigin, loopbackHub: loopbackHub,
	}
	o.hubHost = NormalizeHost(o.hubScheme, hub.Host)
	if sameOrigin {
		o.wsScheme = o.hubScheme
		return o, nil
	}
	if err := o.parseWorkspaceURL(workspaceURL); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Origins) parseWorkspaceURL(tmpl string) error {
	u, err := url.Parse(strings.Replace(tmpl, nsPlaceholder, "ns-placeholder", 1))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("workspaceURL: %q is not an http(s) URL", tmpl)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("workspaceURL: %q must be an origin only, without path or query", tmpl)
	}
	if o.hubScheme == "https" && u.Scheme != "https" {
		return fmt.Errorf("workspaceURL: %q must be https like the hub: its cookies are Secure", tmpl)
	}
	o.wsScheme = u.Scheme
	host := NormalizeHost(u.Scheme, u.Host)
	before, after, found := strings.Cut(host, "ns-placeholder")
	switch {
	case found && (before != "" || !strings.HasPrefix(after, ".")):
		return fmt.Errorf("workspaceURL: %q: {ns} must be the whole first label of the host", tmpl)
	case found:
		o.perNamespace, o.wsPrefix, o.wsSuffix = true, before, after
	case strings.Contains(tmpl, "{"):
		return fmt.Errorf("workspaceURL: %q: only {ns} may be templated", tmpl)
	default:
		o.wsPrefix = host
	}
	if !found && host == o.hubHost || found && strings.HasSuffix(o.hubHost, after) && validLabel(strings.TrimSuffix(o.hubHost, after)) {
		return fmt.Errorf("workspaceURL: %q includes the hub's own host %s", tmpl, o.hubHost)
	}
	return nil
}

// Classify tells where a request with this Host is addressed and, for a
// workspace origin per namespace, whose. ns is "" on a single workspace
// host shared by all namespaces.
func (o *Origins) Classify(host string) (p Place, ns string) {
	host = NormalizeHost(o.hubScheme, host)
	if host == o.hubHost || (o.loopbackHub && isLoopbackHost(host)) {
		return PlaceHub, ""
	}
	if o.sameOrigin {
		return PlaceUnknown, ""
	}
	if !o.perNamespace {
		if host == o.wsPrefix {
			return PlaceWorkspace, ""
		}
		return PlaceUnknown, ""
	}
	if rest, ok := strings.CutSuffix(host, o.wsSuffix); ok && validLabel(rest) {
		return PlaceWorkspace, rest
	}
	return PlaceUnknown, ""
}

// Hub is the hub's origin, scheme://host.
func (o *Origins) Hub() string { return o.hubScheme + "://" + o.hubHost }

// Workspace is the origin namespace ns's workspaces are served on.
func (o *Origins) Workspace(ns string) string {
	if o.sameOrigin {
		return o.Hub()
	}
	return o.wsScheme + "://" + o.WorkspaceHost(ns)
}

// WorkspaceHost is the host of namespace ns's workspace origin.
func (o *Origins) WorkspaceHost(ns string) string {
	if o.sameOrigin {
		return o.hubHost
	}
	if !o.perNamespace {
		return o.wsPrefix
	}
	return o.wsPrefix + ns + o.wsSuffix
}

// Scheme is the scheme of workspace origins.
func (o *Origins) Scheme() string { return o.wsScheme }

// SameOrigin reports whether workspaces share the hub's origin (the
// insecure mode).
func (o *Origins) SameOrigin() bool { return o.sameOrigin }

// PerNamespace reports whether every namespace has its own workspace
// origin (a template with {ns}).
func (o *Origins) PerNamespace() bool { return o.perNamespace && !o.sameOrigin }

// NormalizeHost lower-cases a Host and drops the scheme's default port. It
// does not allocate when the host is already normal, as browsers send it.
func NormalizeHost(scheme, host string) string {
	for i := 0; i < len(host); i++ {
		if 'A' <= host[i] && host[i] <= 'Z' {
			host = strings.ToLower(host)
			break
		}
	}
	switch scheme {
	case "http":
		return strings.TrimSuffix(host, ":80")
	case "https":
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// validLabel reports whether s is one DNS label, as namespace names are.
func validLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isLoopbackHost reports whether host (with an optional port) names the
// loopback interface: localhost, 127.0.0.0/8 or ::1. A host that cannot
// be an address is told apart before parsing: a parse error is an
// allocation, and every request to a workspace origin asks.
func isLoopbackHost(host string) bool {
	h := host
	if strings.IndexByte(host, ':') >= 0 {
		if hh, _, err := net.SplitHostPort(host); err == nil {
			h = hh
		}
	}
	if h == "localhost" {
		return true
	}
	h = strings.Trim(h, "[]")
	if !addressChars(h) {
		return false
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// addressChars tells whether s holds only what an IPv4 or IPv6 address
// is written with (hexadecimal digits, dots, colons).
func addressChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return s != ""
}
