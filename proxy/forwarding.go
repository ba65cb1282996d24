package proxy

import "net/http"

// clientForwarding are request headers that upstream servers may trust as
// set by a proxy: the client's address and scheme, the path prefix, or the
// signed-in user of an authenticating proxy. A client may not send them:
// the proxy drops every one and sets its own (X-Forwarded-*, X-Real-IP).
// ReverseProxy already drops Forwarded and X-Forwarded-For, -Host, -Proto.
var clientForwarding = [...]string{
	"Forwarded", "X-Real-Ip", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Server",
	"X-Forwarded-Ssl", "X-Forwarded-Scheme", "X-Forwarded-Uri", "X-Original-Url", "X-Rewrite-Url",
	"X-Original-Forwarded-For", "X-Client-Ip", "True-Client-Ip", "X-Cluster-Client-Ip",
	"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username",
	"X-Forwarded-Access-Token", "X-Auth-Request-User", "X-Auth-Request-Email", "X-Remote-User",
	"Remote-User", "X-Webauth-User", "X-Rstudio-Username", "X-Rstudio-Root-Path",
}

// clientForwardingSet holds clientForwarding; clientForwardingInitials
// their first bytes.
var clientForwardingSet, clientForwardingInitials = func() (map[string]bool, [256]bool) {
	m := make(map[string]bool, len(clientForwarding))
	var initials [256]bool
	for _, k := range clientForwarding {
		m[k], initials[k[0]] = true, true
	}
	return m, initials
}()

// dropClientForwarding removes what a client may not tell a server. It
// looks at the few fields h has rather than at every forbidden one, and
// skips at once those whose initial no forbidden field has.
func dropClientForwarding(h http.Header) {
	for k := range h {
		if isClientForwarding(k) {
			delete(h, k)
		}
	}
}

func isClientForwarding(k string) bool {
	return k != "" && clientForwardingInitials[k[0]] && clientForwardingSet[k]
}
