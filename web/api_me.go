package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
)

// meView is the caller, as GET /api/v1/me shows them.
type meView struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Email     string   `json:"email,omitempty"`
	Groups    []string `json:"groups"`
	Namespace string   `json:"namespace"`
	Admin     bool     `json:"admin"`
	Language  string   `json:"language"`
}

func (w *Web) me(c echo.Context) error {
	id := identity(c)
	groups := id.Groups
	if groups == nil {
		groups = []string{}
	}
	return c.JSON(http.StatusOK, meView{
		ID: id.UserID, Name: id.Name, Email: id.Email, Groups: groups,
		Namespace: id.Namespace, Admin: id.Admin, Language: requestLanguage(c.Request()),
	})
}

// imageView is one image of the form, in the caller's language.
type imageView struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Allowed     bool   `json:"allowed"`
	Reason      string `json:"reason,omitempty"`
	Default     bool   `json:"default,omitempty"`
	Group       string `json:"group,omitempty"` // the catalogue group it is a variant of
}

// configView is the form's options for the caller: what GET /api/v1/config
// returns and what the form page is built from.
type configView struct {
	Images         []imageView         `json:"images"`
	Groups         []groupView         `json:"groups"` // the same images, grouped
	Languages      []string            `json:"languages"`
	Language       string              `json:"language"` // the form's default
	CustomImages   customImagesView    `json:"customImages"`
	CPU            form.Range          `json:"cpu"`
	Memory         form.Range          `json:"memory"`
	GPU            gpuView             `json:"gpu"`
	WorkspaceSize  form.Range          `json:"workspaceSize"`
	VolumeSize     form.Range          `json:"volumeSize"`
	Configurations []configurationView `json:"configurations"`
	SharedMemory   bool                `json:"sharedMemory"` // the default
	HomeDir        string              `json:"homeDir"`
	// DefaultMountPaths are the mount paths of the first data volumes;
	// the n-th is MountPathPrefix + n.
	DefaultMountPaths []string `json:"defaultMountPaths"`
	MountPathPrefix   string   `json:"mountPathPrefix"`
	// Namespace is whose volumes Volumes lists (?ns=, else the caller's).
	Namespace string               `json:"namespace"`
	Volumes   []spawner.VolumeInfo `json:"volumes"`
}

type customImagesView struct {
	Allowed bool   `json:"allowed"`
	Pattern string `json:"pattern,omitempty"`
}

type gpuView struct {
	Max      int         `json:"max"`
	Resource string      `json:"resource"`
	Preset   form.Preset `json:"preset"`
	// Vendors are the GPU kinds to choose from, the default first; the
	// form shows the choice when there are two or more.
	Vendors []gpuVendorView `json:"vendors"`
}

type gpuVendorView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Resource string `json:"resource"`
}

type configurationView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (w *Web) config(c echo.Context) error {
	tr := w.translator(c)
	v := configView{
		Images:    w.imageViews(tr, w.servers.ImagesFor(requester(c, tr.Lang))),
		Groups:    w.groupViews(tr, requester(c, tr.Lang)),
		Languages: Languages, Language: tr.Lang, SharedMemory: true,
		HomeDir: form.HomeDir, MountPathPrefix: strings.TrimSuffix(form.DefaultMountPath(0), "1"),
		Configurations: []configurationView{}, Volumes: []spawner.VolumeInfo{},
	}
	for i := range 8 {
		v.DefaultMountPaths = append(v.DefaultMountPaths, form.DefaultMountPath(i))
	}
	fillFormOptions(&v, w.servers.Config(), tr.Lang)
	ns, err := w.formNamespace(c)
	if err != nil {
		return err
	}
	v.Namespace = ns
	if v.Volumes, err = w.servers.Volumes(c.Request().Context(), ns); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// fillFormOptions copies the limits and choices of the configuration.
func fillFormOptions(v *configView, cfg form.Config, lang string) {
	l := cfg.Limits
	v.CustomImages = customImagesView{Allowed: cfg.AllowCustomImages, Pattern: cfg.CustomImagePattern}
	v.CPU, v.Memory, v.WorkspaceSize, v.VolumeSize = l.CPU, l.Memory, l.WorkspaceSize, l.VolumeSize
	v.GPU = gpuView{Max: l.MaxGPUs, Resource: cfg.GPU.Resource, Preset: cfg.GPU.Preset, Vendors: []gpuVendorView{}}
	for _, gv := range cfg.GPU.Vendors {
		v.GPU.Vendors = append(v.GPU.Vendors, gpuVendorView{ID: gv.ID, Name: inLanguage(gv.Names, lang, gv.ID), Resource: gv.Resource})
	}
	for _, cf := range cfg.Configurations {
		v.Configurations = append(v.Configurations, configurationView{ID: cf.ID, Name: inLanguage(cf.Names, lang, cf.ID)})
	}
}

// formNamespace is the namespace the form is for: ?ns= if the caller has a
// role there (else 404), the caller's own otherwise.
func (w *Web) formNamespace(c echo.Context) (string, error) {
	id := identity(c)
	ns := c.QueryParam("ns")
	if ns == "" || ns == id.Namespace {
		return id.Namespace, nil
	}
	role, err := w.opts.Policy.Role(c.Request().Context(), id, ns)
	if err != nil {
		return "", err
	}
	if role == auth.RoleNone {
		return "", errNotFound
	}
	return ns, nil
}

func (w *Web) imageViews(tr Translator, opts []form.ImageOption) []imageView {
	out := make([]imageView, 0, len(opts))
	for _, o := range opts {
		v := imageView{
			ID: o.Image.ID, Kind: o.Image.Kind, Allowed: o.Allowed, Default: o.Image.Default, Group: o.Image.Group,
			Name: inLanguage(o.Image.Names, tr.Lang, o.Image.ID), Description: inLanguage(o.Image.Descriptions, tr.Lang, ""),
		}
		if !o.Allowed {
			v.Reason = tr.fieldMessage(&form.FieldError{Field: "image", Code: o.Reason, Params: o.ReasonParams})
		}
		out = append(out, v)
	}
	return out
}

// inLanguage picks the text in lang, else English, else fallback.
func inLanguage(texts map[string]string, lang, fallback string) string {
	if t, ok := texts[lang]; ok {
		return t
	}
	if t, ok := texts[Languages[0]]; ok {
		return t
	}
	return fallback
}
