package web

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
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
	Spec         specView    `json:"spec"`
}

// specView is what was asked for a server, in the shape of the spawn form
// (with the defaults it took). It is never the stored spec: that also
// holds what the spawner resolved from the configuration — the
// environment, labels and shared volumes of configurations, which
// GET /api/v1/config does not show either, and the container image behind
// an image id.
type specView struct {
	Image          string                `json:"image,omitempty"`
	CustomImage    string                `json:"customImage,omitempty"`
	Kind           string                `json:"kind"`
	CPU            string                `json:"cpu,omitempty"`
	CPULimit       string                `json:"cpuLimit,omitempty"`
	Memory         string                `json:"memory,omitempty"`
	MemoryLimit    string                `json:"memoryLimit,omitempty"`
	GPUs           int                   `json:"gpus"`
	Workspace      *form.WorkspaceForm   `json:"workspace,omitempty"`
	DataVolumes    []form.DataVolumeForm `json:"dataVolumes,omitempty"`
	Configurations []string              `json:"configurations,omitempty"`
	SharedMemory   bool                  `json:"sharedMemory"`
	Language       string                `json:"language,omitempty"`
}

func viewSpec(sp store.Spec) specView {
	v := specView{
		Image: sp.Image, CustomImage: sp.CustomImage, Kind: sp.Kind,
		CPU: sp.CPU, CPULimit: sp.CPULimit, Memory: sp.Memory, MemoryLimit: sp.MemoryLimit, GPUs: sp.GPUs,
		Configurations: sp.Configurations, SharedMemory: sp.SharedMemory, Language: sp.Language,
	}
	if w := sp.Workspace; w != nil {
		v.Workspace = &form.WorkspaceForm{}
		if w.New {
			v.Workspace.New = &form.NewVolumeForm{Name: w.Name, Size: w.Size}
		} else {
			v.Workspace.Existing = w.Name
		}
	}
	for _, dv := range sp.DataVolumes {
		f := form.DataVolumeForm{MountPath: dv.MountPath}
		if dv.New {
			f.New = &form.NewVolumeForm{Name: dv.Name, Size: dv.Size}
		} else {
			f.Existing = dv.Name
		}
		v.DataVolumes = append(v.DataVolumes, f)
	}
	return v
}

// list is the shape of every list in the API.
type list[T any] struct {
	Items []T `json:"items"`
}

// serverURL is where a server is reached through the proxy: its path on
// its namespace's workspace origin.
// Without Origins (unit tests) it is the path alone.
func (w *Web) serverURL(ns, name string) string {
	path := "/notebook/" + ns + "/" + name + "/"
	if w.opts.Origins == nil {
		return path
	}
	return w.opts.Origins.Workspace(ns) + path
}

func (w *Web) view(ctx context.Context, s store.Server) serverView {
	v := serverView{
		Namespace: s.Namespace, Name: s.Name, Image: s.Spec.Image, Kind: s.Spec.Kind,
		Phase: s.Phase, Message: s.Message, URL: w.serverURL(s.Namespace, s.Name),
		CreatedAt: s.CreatedAt, StartedAt: timePtr(s.StartedAt), Spec: viewSpec(s.Spec),
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
