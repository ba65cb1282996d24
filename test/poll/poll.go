// Package poll waits, in tests, for something asynchronous to happen. A
// wait is bounded so that a hang fails the test instead of CI; the bound
// guards, it never asserts anything about speed.
package poll

import (
	"testing"
	"time"
)

// every is how often a condition is checked.
const every = 20 * time.Millisecond

// Until checks cond until it holds, failing the test after limit with
// "timed out after <limit> waiting for <what>".
func Until(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(every)
	}
}

// UntilNil calls check until it returns nil, failing the test after limit
// with check's last error.
func UntilNil(t testing.TB, limit time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", limit, err)
		}
		time.Sleep(every)
	}
}
