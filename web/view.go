package web

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// serverView is a server as the API shows it.
type serverView struct {
	Namespace    string      `json:"namespace"`
	Name         string      `json:"name"`
	Image        string      `json:"image"`
	Kind         string      `json:"kind"`
	Phase        store.Phase `json:"phase"`
	Message      string      `json:"message"`
	URL          string      `json:"url"`
	CreatedAt    time.Time   `json:"createdAt"`
	StartedAt    *time.Time  `json:"startedAt"`
	LastActivity *time.Time  `json:"lastActivity"`
	CullAt       *time.Time  `json:"cullAt"`
	Spec         store.Spec  `json:"spec"`
}

// list is the shape of every list in the API.
type list[T any] struct {
	Items []T `json:"items"`
}

// serverURL is where a server is reached through the proxy: its path on
// its namespace's workspace origin.
func (w *Web) serverURL(ns, name string) string {
	return w.opts.Origins.Workspace(ns) + "/notebook/" + ns + "/" + name + "/"
}

func (w *Web) view(ctx context.Context, s store.Server) serverView {
	v := serverView{
		Namespace: s.Namespace, Name: s.Name, Image: s.Spec.Image, Kind: s.Spec.Kind,
		Phase: s.Phase, Message: s.Message, URL: w.serverURL(s.Namespace, s.Name),
		CreatedAt: s.CreatedAt, StartedAt: timePtr(s.StartedAt), Spec: s.Spec,
	}
	if v.Image == "" {
		v.Image = s.Spec.CustomImage
	}
	if s.Phase == store.PhaseRunning {
		if last, err := w.store.LastActivity(ctx, s.Key()); err == nil {
			v.LastActivity = timePtr(last)
			if w.opts.CullAfter > 0 {
				v.CullAt = timePtr(last.Add(w.opts.CullAfter))
			}
		}
	}
	return v
}

func (w *Web) views(ctx context.Context, servers []store.Server) list[serverView] {
	out := list[serverView]{Items: make([]serverView, 0, len(servers))}
	for _, s := range servers {
		out.Items = append(out.Items, w.view(ctx, s))
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
