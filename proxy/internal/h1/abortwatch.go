package h1

import "context"

// An AbortWatcher is a request context that runs, when it ends, the abort
// of the one exchange that watches it, without what context.AfterFunc
// costs an exchange (an allocated registration, an entry in the parent's
// map). A server that reads a connection's requests one at a time can
// give them such a context (proxy.ConnContext).
type AbortWatcher interface {
	context.Context
	// WatchAbort has abort run once the context ends (at once when it
	// has) and reports true, or reports false when another exchange
	// watches: one at a time.
	WatchAbort(abort func()) bool
	// UnwatchAbort ends the watch and reports whether abort has not run
	// and will not.
	UnwatchAbort() bool
}

// cancelWatch runs an exchange's abort when its request's context ends:
// through the context's own watch when it has one free, else through
// context.AfterFunc.
type cancelWatch struct {
	w    AbortWatcher
	stop func() bool
}

func watchCancel(ctx context.Context, abort func()) cancelWatch {
	if w, ok := ctx.(AbortWatcher); ok && w.WatchAbort(abort) {
		return cancelWatch{w: w}
	}
	return cancelWatch{stop: context.AfterFunc(ctx, abort)}
}

// end ends the watch, once, and reports whether abort has not run and
// will not.
func (cw cancelWatch) end() bool {
	if cw.w != nil {
		return cw.w.UnwatchAbort()
	}
	return cw.stop()
}
