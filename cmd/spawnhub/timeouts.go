package main

import "time"

// HTTP server timeouts. Request bodies and responses are not bounded: a
// notebook upload or a long-poll may take long; slow-header attacks are.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)
