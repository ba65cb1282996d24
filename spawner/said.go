package spawner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Said is a sentence for people: a catalog code and its parameters, which
// pages render in their reader's language, and the English text, which
// logs and clients that know no codes read.
type Said struct {
	Code   string
	Params map[string]string
	Text   string
}

// Say returns the sentence code with its English text and parameters given
// as name, value pairs.
func Say(code, text string, params ...string) Said {
	s := Said{Code: code, Text: text}
	if len(params) > 1 {
		s.Params = make(map[string]string, len(params)/2)
		for i := 0; i+1 < len(params); i += 2 {
			s.Params[params[i]] = params[i+1]
		}
	}
	return s
}

// on writes the sentence as the server's message.
func (s Said) on(srv *store.Server) {
	srv.Message, srv.MessageCode, srv.MessageParams = s.Text, s.Code, s.Params
}

// Event is the sentence as an event of the given type and reason.
func (s Said) Event(typ, reason string) store.Event {
	return store.Event{Type: typ, Reason: reason, Message: s.Text, Code: s.Code, Params: s.Params}
}

// Failure is an error that says why a server could not start or ended, in
// words a user reads (the failure reasons of the catalogs, e.g.
// "start.exited"), wrapping the error behind it.
type Failure struct {
	Said
	Err error
}

// Fail returns a Failure with the sentence s wrapping err.
func Fail(s Said, err error) error { return &Failure{Said: s, Err: err} }

func (f *Failure) Error() string { return f.Text }

func (f *Failure) Unwrap() error { return f.Err }

// reasonOf is what a failed start or a dead server tells its user: the
// backend's Failure when it gave one, else the first line of err.
func reasonOf(err error) Said {
	var f *Failure
	if errors.As(err, &f) {
		return f.Said
	}
	text := err.Error()
	first, _, _ := strings.Cut(text, "\n")
	return Said{Code: "start.error", Params: map[string]string{"detail": first}, Text: text}
}

// The sentences of the lifecycle.
var (
	sayQueued      = Say("queued", "waiting for a start slot")
	sayStarting    = Say("starting", "starting the server")
	sayStarted     = Say("started", "the server is running")
	sayStopping    = Say("stopping", "stopping the server")
	sayStopped     = Say("stopped", "the server is stopped")
	sayUnqueued    = Say("unqueued", "removed from the queue")
	sayInterrupted = Say("interrupted", "interrupted by a restart of spawnhub; it will resume")
	sayRequeued    = Say("requeued", "queued again after an interrupted start")
	sayQuit        = Say("quit", "the server was shut down from inside it (for example with Jupyter's Quit)")
	sayGone        = Say("gone", "the server process is gone")
)

// sayPosition is a queued server's place in the queue, with the estimated
// wait when it is known (0: not yet).
func sayPosition(ahead int, wait time.Duration) Said {
	text := fmt.Sprintf("waiting for %d servers ahead", ahead)
	if ahead == 1 {
		text = "waiting for 1 server ahead"
	}
	if wait <= 0 {
		return Say("queue.position", text, "count", strconv.Itoa(ahead))
	}
	minutes := strconv.Itoa(max(1, int((wait+time.Minute-1)/time.Minute)))
	return Say("queue.wait", fmt.Sprintf("%s (about %s)", text, wait), "count", strconv.Itoa(ahead), "minutes", minutes)
}

// sayStartingSoon is a queued server a replica has claimed.
var sayStartingSoon = Say("queue.soon", "starting soon")

// sayTimeout is a start that did not become ready in time, with the
// backend's last word on it.
func sayTimeout(timeout time.Duration, err error) Said {
	detail := ""
	if err != nil {
		detail, _, _ = strings.Cut(err.Error(), "\n")
	}
	return Say("start.timeout", fmt.Sprintf("the server did not become ready within %s: %s", timeout, detail),
		"seconds", strconv.Itoa(int(timeout.Seconds())), "detail", detail)
}
