package poll

import (
	"errors"
	"testing"
	"time"
)

// recorder is a testing.TB that records a failure instead of ending the
// test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	panic(r) // Fatalf ends the caller, as FailNow does
}

func run(f func(t testing.TB)) (failed string) {
	r := &recorder{}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		failed = r.failed
	}()
	f(r)
	return ""
}

func TestUntil(t *testing.T) {
	n := 0
	if f := run(func(tb testing.TB) { Until(tb, time.Minute, "three calls", func() bool { n++; return n == 3 }) }); f != "" || n != 3 {
		t.Errorf("Until of a condition true at the third call: failed %q after %d calls", f, n)
	}
	if f := run(func(tb testing.TB) { Until(tb, 50*time.Millisecond, "never", func() bool { return false }) }); f == "" {
		t.Error("Until of a condition never true did not fail")
	}
	if f := run(func(tb testing.TB) { UntilNil(tb, 50*time.Millisecond, func() error { return errors.New("no") }) }); f == "" {
		t.Error("UntilNil of a check that keeps failing did not fail")
	}
}
