package proxy

import "github.com/spawnhub/spawnhub/store"

// activitySource is what a person did, as the proxy saw it: a small number
// so that marking it on the hot path is an atomic store.
type activitySource uint8

const (
	srcNone     activitySource = iota
	srcRequest                 // an HTTP request not listed as polling
	srcKernel                  // a kernel message a person sends (execute_request, …)
	srcTerminal                // input typed in a terminal
	srcKeyboard                // an RFB KeyEvent (or QEMU extended key event)
	srcMouse                   // an RFB PointerEvent
	srcSocket                  // a data frame on any other websocket
)

var sourceNames = [...]string{
	srcNone:     "",
	srcRequest:  store.SourceRequest,
	srcKernel:   store.SourceKernel,
	srcTerminal: store.SourceTerminal,
	srcKeyboard: store.SourceKeyboard,
	srcMouse:    store.SourceMouse,
	srcSocket:   store.SourceSocket,
}

// String is the store's name of the source (store.Source…).
func (s activitySource) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return ""
}

// sourceNamed is the inverse of String, and of the kernel's name a
// source of the store may carry ("kernel:python3").
func sourceNamed(name string) (activitySource, *kernelName) {
	kind, kernel := store.SplitSource(name)
	for i, n := range sourceNames {
		if n == kind {
			if activitySource(i) == srcKernel && kernel != "" {
				return srcKernel, namedKernel(kernel)
			}
			return activitySource(i), nil
		}
	}
	return srcNone, nil
}
