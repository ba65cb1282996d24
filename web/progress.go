package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/store"
)

// eventView is an event as the API shows it.
// Message is in the request's language when the event has a code.
type eventView struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	Reason string    `json:"reason"`
	// ReasonText is the reason in the request's language.
	ReasonText string            `json:"reasonText"`
	Message    string            `json:"message"`
	Code       string            `json:"code,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
}

func viewEvent(tr Translator, e store.Event) eventView {
	return eventView{
		Time: e.Time, Type: e.Type, Reason: e.Reason, ReasonText: tr.Reason(e.Reason), Code: e.Code, Params: e.Params,
		Message: tr.Say(e.Code, e.Params, e.Message),
	}
}

func eventViews(tr Translator, events []store.Event) []eventView {
	out := make([]eventView, 0, len(events))
	for _, e := range events {
		out = append(out, viewEvent(tr, e))
	}
	return out
}

// progressHeartbeat keeps intermediaries from closing an idle stream.
const progressHeartbeat = 15 * time.Second

// serverProgress streams a server's state and events as server-sent
// events ("server" with the server JSON, "event" with each new event)
// until the client goes away or the replica shuts down (the browser's
// EventSource reconnects, to another replica). It reads the store only
// when the server changes (its record or its events, as published) and
// on resyncs; a Queued server's place comes from the replica's view of
// the queue, shared by every stream.
func (w *Web) serverProgress(c echo.Context) error {
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel() // ends the watches below
	key := store.Key{Namespace: c.Param("ns"), Name: c.Param("name")}
	changes := w.changes.watch(ctx, key) // before the read: no change goes unseen
	s, err := w.servers.Get(ctx, key.Namespace, key.Name)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/event-stream")
	res.Header().Set("Cache-Control", "no-cache")
	res.Header().Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	st := &progressState{w: w, tr: w.translator(c), res: res, key: key}
	if err := st.send(ctx, s); err != nil {
		return nil // client gone
	}
	st.follow(ctx, changes, w.servers.WatchQueue(ctx))
	return nil
}

type progressState struct {
	w      *Web
	tr     Translator
	res    *echo.Response
	key    store.Key
	record store.Server // the server as last read
	last   *store.Event // the last event sent
	seen   string       // the last server JSON sent
}

// follow sends updates until ctx is done or the client is gone: the
// server and its new events when it changed, its new place when the queue
// moved.
func (st *progressState) follow(ctx context.Context, changes, queueMoved <-chan struct{}) {
	beat := time.NewTicker(progressHeartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-st.w.opts.Stopping:
			return
		case <-changes:
			err = st.reread(ctx)
		case <-queueMoved:
			if st.record.Phase == store.PhaseQueued {
				err = st.sendServer(ctx, st.w.servers.InQueueView(st.record))
			}
		case <-beat.C:
			_, err = fmt.Fprint(st.res, ": heartbeat\n\n")
			st.res.Flush()
		}
		if err != nil {
			return
		}
	}
}

// reread reads the server again and sends what changed; a server gone
// ends the stream with "gone".
func (st *progressState) reread(ctx context.Context) error {
	s, err := st.w.servers.Get(ctx, st.key.Namespace, st.key.Name)
	if err != nil {
		_ = st.write("gone", map[string]string{"error": "not found"})
		return err
	}
	return st.send(ctx, s)
}

// send writes the server if it changed, then any new events.
func (st *progressState) send(ctx context.Context, s store.Server) error {
	if err := st.sendServer(ctx, s); err != nil {
		return err
	}
	events, err := st.w.servers.Events(ctx, st.key.Namespace, st.key.Name)
	if err != nil {
		return nil // events are best effort
	}
	for _, e := range newEvents(events, st.last) {
		if err := st.write("event", viewEvent(st.tr, e)); err != nil {
			return err
		}
		st.last = &e
	}
	return nil
}

// sendServer writes the server if its view changed.
func (st *progressState) sendServer(ctx context.Context, s store.Server) error {
	st.record = s
	v, _ := json.Marshal(st.w.view(ctx, st.tr, s))
	if string(v) == st.seen {
		return nil
	}
	st.seen = string(v)
	return st.writeRaw("server", v)
}

// newEvents returns the events after last (all when last is nil or has
// been trimmed away).
func newEvents(events []store.Event, last *store.Event) []store.Event {
	if last == nil {
		return events
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Same(*last) {
			return events[i+1:]
		}
	}
	return events
}

func (st *progressState) write(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.writeRaw(event, b)
}

func (st *progressState) writeRaw(event string, data []byte) error {
	if _, err := fmt.Fprintf(st.res, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	st.res.Flush()
	return nil
}
