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

// dropClientForwarding removes what a client may not tell a server.
func dropClientForwarding(h http.Header) {
	for _, k := range clientForwarding {
		delete(h, k)
	}
}
