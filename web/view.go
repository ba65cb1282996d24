package web

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// serverView is a server as the API shows it.
type serverView struct {
	Namespace string      `json:"namespace"`
	Name      string      `json:"name"`
	Image     string      `json:"image"`
	Kind      string      `json:"kind"`
	Phase     store.Phase `json:"phase"`
	PhaseText string      `json:"phaseText"` // the phase in the request's language
	// Message is in the request's language; MessageCode and MessageParams
	// are what it was rendered from.
	Message       string            `json:"message"`
	MessageCode   string            `json:"messageCode,omitempty"`
	MessageParams map[string]string `json:"messageParams,omitempty"`
	ImageName     string            `json:"imageName,omitempty"` // the catalogue's name in the request's language
	URL           string            `json:"url"`
	// ConnectURL is where Connect lands: URL and the image's connectPath.
	ConnectURL   string     `json:"connectURL"`
	CreatedAt    time.Time  `json:"createdAt"`
	StartedAt    *time.Time `json:"startedAt"`
	LastActivity *time.Time `json:"lastActivity"`
	// LastActivitySource is what the person last did (store.Source…).
	LastActivitySource string `json:"lastActivitySource,omitempty"`
	// CullAt is when the culler will stop the server, once it has warned.
	CullAt *time.Time `json:"cullAt"`
	// Cull is the culler's pending warning, or why it stopped the server.
	Cull *store.Cull `json:"cull,omitempty"`
	Spec specView    `json:"spec"`
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
	GPUVendor      string                `json:"gpuVendor,omitempty"`
	GPUVendorName  string                `json:"gpuVendorName,omitempty"` // in the request's language
	Workspace      *form.WorkspaceForm   `json:"workspace,omitempty"`
	DataVolumes    []form.DataVolumeForm `json:"dataVolumes,omitempty"`
	Configurations []string              `json:"configurations,omitempty"`
	SharedMemory   bool                  `json:"sharedMemory"`
	Language       string                `json:"language,omitempty"`
}

func viewSpec(sp store.Spec) specView {
	v := specView{
		Image: sp.Image, CustomImage: sp.CustomImage, Kind: sp.Kind,
		CPU: sp.CPU, CPULimit: sp.CPULimit, Memory: sp.Memory, MemoryLimit: sp.MemoryLimit, GPUs: sp.GPUs, GPUVendor: sp.GPUVendor,
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
	path := store.Key{Namespace: ns, Name: name}.BasePath()
	if w.opts.Origins == nil {
		return path
	}
	return w.opts.Origins.Workspace(ns) + path
}

// connectPath is where Connect lands under the server's URL: its image's
// connectPath, or "" (the URL itself; also without a catalogue, in unit
// tests).
func (w *Web) connectPath(s store.Server) string {
	if w.servers == nil {
		return ""
	}
	im, ok := w.servers.Config().ImageOf(s.Spec)
	if !ok {
		return ""
	}
	return im.ConnectPathFor(s.Key().BasePath())
}

// gpuVendorName is the configured name of the server's GPU vendor in tr's
// language, its id when the configuration no longer has it, "" for none.
func (w *Web) gpuVendorName(tr Translator, sp store.Spec) string {
	if sp.GPUVendor == "" || w.servers == nil {
		return sp.GPUVendor
	}
	gv, ok := w.servers.Config().GPU.Vendor(sp.GPUVendor)
	if !ok {
		return sp.GPUVendor
	}
	return inLanguage(gv.Names, tr.Lang, gv.ID)
}

// view is one server as the API shows it, in tr's language.
func (w *Web) view(ctx context.Context, tr Translator, s store.Server) serverView {
	var last map[store.Key]store.Activity
	if s.Phase == store.PhaseRunning {
		last, _ = w.store.Activities(ctx, []store.Key{s.Key()}) // none known: no lastActivity
	}
	return w.viewWith(tr, s, last)
}

// views is a list of servers as the API shows it, with one read of their
// activity for the whole list.
func (w *Web) views(ctx context.Context, tr Translator, servers []store.Server) list[serverView] {
	var running []store.Key
	for _, s := range servers {
		if s.Phase == store.PhaseRunning {
			running = append(running, s.Key())
		}
	}
	var last map[store.Key]store.Activity
	if len(running) > 0 {
		last, _ = w.store.Activities(ctx, running) // none known: no lastActivity
	}
	out := list[serverView]{Items: make([]serverView, 0, len(servers))}
	for _, s := range servers {
		out.Items = append(out.Items, w.viewWith(tr, s, last))
	}
	return out
}

// viewWith is the view of s given the last activity of running servers.
func (w *Web) viewWith(tr Translator, s store.Server, lastActivity map[store.Key]store.Activity) serverView {
	v := serverView{
		Namespace: s.Namespace, Name: s.Name, Image: s.Spec.Image, Kind: s.Spec.Kind,
		Phase: s.Phase, PhaseText: tr.T("phase." + string(s.Phase)),
		Message:     tr.Say(s.MessageCode, s.MessageParams, s.Message),
		MessageCode: s.MessageCode, MessageParams: s.MessageParams,
		URL:       w.serverURL(s.Namespace, s.Name),
		CreatedAt: s.CreatedAt, StartedAt: timePtr(s.StartedAt), Spec: viewSpec(s.Spec),
	}
	v.ConnectURL = v.URL + w.connectPath(s)
	if v.Image == "" {
		v.Image = s.Spec.CustomImage
	}
	v.ImageName = w.imageName(tr, s.Spec)
	v.Spec.GPUVendorName = w.gpuVendorName(tr, s.Spec)
	if last, ok := lastActivity[s.Key()]; ok && s.Phase == store.PhaseRunning {
		v.LastActivity, v.LastActivitySource = timePtr(last.Last), last.Source
		if c := spawner.PendingCull(s, last.Last); c != nil {
			v.CullAt, v.Cull = timePtr(c.At), c
		}
	}
	if c := s.Cull; c != nil && c.Done && s.Phase == store.PhaseStopped {
		v.Cull = c
	}
	return v
}

// imageName is the catalogue's name of the spec's image in tr's language,
// else the image as given.
func (w *Web) imageName(tr Translator, sp store.Spec) string {
	if sp.CustomImage != "" {
		return sp.CustomImage
	}
	if w.servers != nil {
		if im, ok := w.servers.Config().Image(sp.Image); ok {
			return inLanguage(im.Names, tr.Lang, im.ID)
		}
	}
	return sp.Image
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
