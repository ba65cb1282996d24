package form

import (
	"slices"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

// Languages a server can be started in.
var Languages = []string{"en", "fr"}

// Form is the JSON body that creates a server (POST …/servers). Omitted
// fields take the configured defaults.
type Form struct {
	Name           string           `json:"name"`
	Image          string           `json:"image,omitempty"`
	CustomImage    string           `json:"customImage,omitempty"`
	CPU            string           `json:"cpu,omitempty"`
	CPULimit       string           `json:"cpuLimit,omitempty"`
	Memory         string           `json:"memory,omitempty"`
	MemoryLimit    string           `json:"memoryLimit,omitempty"`
	GPUs           int              `json:"gpus,omitempty"`
	GPUVendor      string           `json:"gpuVendor,omitempty"` // one of spawner.gpu.vendors
	Workspace      *WorkspaceForm   `json:"workspace,omitempty"`
	DataVolumes    []DataVolumeForm `json:"dataVolumes,omitempty"`
	Configurations []string         `json:"configurations,omitempty"`
	SharedMemory   *bool            `json:"sharedMemory,omitempty"`
	Language       string           `json:"language,omitempty"`
}

// WorkspaceForm asks for a new workspace volume or names an existing one.
type WorkspaceForm struct {
	New      *NewVolumeForm `json:"new,omitempty"`
	Existing string         `json:"existing,omitempty"`
}

// NewVolumeForm describes a volume to create.
type NewVolumeForm struct {
	Name string `json:"name,omitempty"`
	Size string `json:"size,omitempty"`
}

// DataVolumeForm is a new or existing volume mounted at MountPath.
type DataVolumeForm struct {
	New       *NewVolumeForm `json:"new,omitempty"`
	Existing  string         `json:"existing,omitempty"`
	MountPath string         `json:"mountPath,omitempty"`
}

// Requester is who asks for a server, for the image policy and defaults.
type Requester struct {
	UserID   string
	Email    string
	Groups   []string
	Language string
}

// formState is what the rules read and fill in.
type formState struct {
	cfg  Config
	who  Requester
	f    Form
	spec store.Spec
}

// A formRule checks one part of the form and fills the spec; rules run in
// order, so a rule may rely on the fields of the rules before it.
type formRule func(*formState) *FieldError

var formRules = []formRule{
	ruleName, ruleImage, ruleGPUs, ruleGPUVendor, ruleCPU, ruleCPULimit, ruleMemory, ruleMemoryLimit,
	ruleWorkspace, ruleDataVolumes, ruleVolumeNames, ruleConfigurations,
	ruleSharedMemory, ruleLanguage,
}

// BuildSpec checks the form against the configuration and the requester's
// rights, and returns the spec with every default applied. The error is a
// *FieldError wrapping ErrInvalidSpec when one rule is broken, and
// FieldErrors (every broken rule, in the form's order; errors.As finds the
// first) when several are: a page shows each next to its field at once. A
// broken image stops the checks there, since the others depend on it.
// Whether the name is free is checked when the server is created.
func BuildSpec(cfg Config, who Requester, f Form) (store.Spec, error) {
	st := &formState{cfg: cfg.WithDefaults(), who: who, f: f}
	var errs FieldErrors
	for _, rule := range formRules {
		fe := rule(st)
		if fe == nil {
			continue
		}
		errs = append(errs, fe)
		if fe.Field == "image" || fe.Field == "customImage" {
			break
		}
	}
	switch len(errs) {
	case 0:
		return st.spec, nil
	case 1:
		return store.Spec{}, errs[0]
	}
	return store.Spec{}, errs
}

func ruleName(st *formState) *FieldError {
	if err := ValidateName(st.f.Name); err != nil {
		return err.(*FieldError)
	}
	return nil
}

func ruleImage(st *formState) *FieldError {
	f := st.f
	switch {
	case f.Image != "" && f.CustomImage != "":
		return fieldErr("image", "image.conflict", nil)
	case f.CustomImage != "":
		return customImage(st)
	case f.Image == "":
		im, ok := st.cfg.DefaultImage(st.who)
		if !ok {
			return fieldErr("image", "image.required", nil)
		}
		st.useImage(im)
		return nil
	}
	im, ok := st.cfg.Image(f.Image)
	if !ok {
		return fieldErr("image", "image.unknown", map[string]any{"image": f.Image})
	}
	if !im.AllowedFor(st.who) {
		return fieldErr("image", "image.forbidden", map[string]any{"image": f.Image})
	}
	st.useImage(im)
	return nil
}

func (st *formState) useImage(im Image) {
	st.spec.Image = im.ID
	st.spec.Kind = im.Kind
	st.spec.ContainerImage = im.Container
	st.spec.StripPrefix = im.Profile().StripPrefix
}

// customImage checks a custom image: allowed at all, a plain reference (no
// URL), not a catalogue image the requester may not use under another name
// (the SAS rule holds for its container image too), and matching the
// configured pattern.
func customImage(st *formState) *FieldError {
	ref := st.f.CustomImage
	if !st.cfg.AllowCustomImages {
		return fieldErr("customImage", "customImage.forbidden", nil)
	}
	if hasScheme(ref) {
		return fieldErr("customImage", "customImage.scheme", map[string]any{"image": ref})
	}
	parsed, ok := parseImageRef(ref)
	if !ok {
		return fieldErr("customImage", "customImage.invalid", map[string]any{"image": ref})
	}
	kind := KindJupyter
	for _, im := range st.cfg.imagesOfRepository(parsed.Repository) {
		if !im.AllowedFor(st.who) {
			return fieldErr("customImage", "image.forbidden", map[string]any{"image": im.ID})
		}
		kind = im.Kind
	}
	if p := st.cfg.CustomImagePattern; p != "" {
		if re, err := compilePattern(p); err != nil || !re.MatchString(ref) {
			return fieldErr("customImage", "customImage.pattern", map[string]any{"image": ref, "pattern": p})
		}
	}
	st.spec.CustomImage = ref
	st.spec.ContainerImage = ref
	st.spec.Kind = kind
	st.spec.StripPrefix = KindProfile(kind).StripPrefix
	return nil
}

// imagesOfRepository returns the catalogue images whose container image is
// in the repository (whatever the tag or digest).
func (c Config) imagesOfRepository(repo string) []Image {
	var out []Image
	for _, im := range c.Images {
		if r, ok := parseImageRef(im.Container); ok && r.Repository == repo {
			out = append(out, im)
		}
	}
	return out
}

// DefaultImage returns the image a one-click launch uses for who: the first
// allowed image marked Default, else the first allowed image.
func (c Config) DefaultImage(who Requester) (Image, bool) {
	var first *Image
	for i, im := range c.Images {
		if !im.AllowedFor(who) {
			continue
		}
		if im.Default {
			return im, true
		}
		if first == nil {
			first = &c.Images[i]
		}
	}
	if first == nil {
		return Image{}, false
	}
	return *first, true
}

// AllowedFor reports whether who may use the image: everyone when the image
// names no groups and no email domains, else a member of one of its groups or
// someone whose email is in one of its domains.
func (im Image) AllowedFor(who Requester) bool {
	if len(im.Groups) == 0 && len(im.EmailDomains) == 0 {
		return true
	}
	for _, g := range who.Groups {
		if slices.Contains(im.Groups, g) {
			return true
		}
	}
	_, domain, ok := strings.Cut(who.Email, "@")
	if !ok || domain == "" {
		return false
	}
	return slices.ContainsFunc(im.EmailDomains, func(d string) bool {
		return strings.EqualFold(strings.TrimPrefix(d, "@"), domain)
	})
}

func ruleSharedMemory(st *formState) *FieldError {
	st.spec.SharedMemory = st.f.SharedMemory == nil || *st.f.SharedMemory
	return nil
}

func ruleLanguage(st *formState) *FieldError {
	lang := st.f.Language
	if lang != "" && !slices.Contains(Languages, lang) {
		return fieldErr("language", "language.invalid", map[string]any{"languages": strings.Join(Languages, ", ")})
	}
	if lang == "" && slices.Contains(Languages, st.who.Language) {
		lang = st.who.Language
	}
	if lang == "" {
		lang = st.cfg.DefaultLanguage
	}
	st.spec.Language = lang
	return nil
}

func ruleGPUs(st *formState) *FieldError {
	if st.f.GPUs < 0 || st.f.GPUs > st.cfg.Limits.MaxGPUs {
		return fieldErr("gpus", "gpus.range", map[string]any{"max": st.cfg.Limits.MaxGPUs})
	}
	st.spec.GPUs = st.f.GPUs
	return nil
}

// gpuPreset returns the fixed CPU or memory of a GPU server ("" when the
// server has no GPU or the preset leaves it to the form).
func (st *formState) gpuPreset(cpu bool) string {
	if st.spec.GPUs == 0 {
		return ""
	}
	if cpu {
		return st.cfg.GPU.Preset.CPU
	}
	return st.cfg.GPU.Preset.Memory
}

func ruleConfigurations(st *formState) *FieldError {
	seen := map[string]bool{}
	for i, id := range st.f.Configurations {
		field := "configurations[" + itoa(i) + "]"
		if seen[id] {
			return fieldErr(field, "configuration.duplicate", map[string]any{"id": id})
		}
		seen[id] = true
		j := slices.IndexFunc(st.cfg.Configurations, func(c Configuration) bool { return c.ID == id })
		if j < 0 {
			return fieldErr(field, "configuration.unknown", map[string]any{"id": id})
		}
		if fe := st.addConfiguration(field, st.cfg.Configurations[j]); fe != nil {
			return fe
		}
	}
	return nil
}

// addConfiguration adds a configuration's environment, labels and volumes
// to the spec; a volume path already in use is an error on the
// configuration.
func (st *formState) addConfiguration(field string, cf Configuration) *FieldError {
	for _, v := range cf.Volumes {
		if st.mountPathUsed(v.MountPath) {
			return fieldErr(field, "mountPath.duplicate", map[string]any{"path": v.MountPath})
		}
		st.spec.ExtraVolumes = append(st.spec.ExtraVolumes, store.DataVolume{Volume: store.Volume{Name: v.Name}, MountPath: v.MountPath})
	}
	st.spec.Configurations = append(st.spec.Configurations, cf.ID)
	st.spec.Env = append(st.spec.Env, sortedEnv(cf.Env)...)
	for k, v := range cf.Labels {
		if st.spec.Labels == nil {
			st.spec.Labels = map[string]string{}
		}
		st.spec.Labels[k] = v
	}
	return nil
}

func (st *formState) mountPathUsed(p string) bool {
	used := func(dv store.DataVolume) bool { return dv.MountPath == p }
	return slices.ContainsFunc(st.spec.DataVolumes, used) || slices.ContainsFunc(st.spec.ExtraVolumes, used)
}

func sortedEnv(env map[string]string) []store.EnvVar {
	out := make([]store.EnvVar, 0, len(env))
	for k, v := range env {
		out = append(out, store.EnvVar{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b store.EnvVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}
