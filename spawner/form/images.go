package form

import (
	"slices"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Image is one entry of the catalogue a user picks from.
type Image struct {
	ID           string            `yaml:"id" json:"id"`
	Kind         string            `yaml:"kind" json:"kind"`
	Names        map[string]string `yaml:"names" json:"names"`               // by language: "en", "fr"
	Descriptions map[string]string `yaml:"descriptions" json:"descriptions"` // by language
	// Container is the container image reference (kube backend).
	Container  string `yaml:"container" json:"container,omitempty"`
	PullPolicy string `yaml:"pullPolicy" json:"pullPolicy,omitempty"`
	// Command is how the local backend runs the image. Each argument is a
	// text/template over TemplateData ({{.Port}} {{.BaseURL}} {{.Token}}
	// {{.Home}} {{.Host}} {{.Executable}}).
	Command []string `yaml:"command" json:"command,omitempty"`
	// ReadyPath overrides the kind's readiness path (Profile.ReadyPath):
	// under the path the server runs at, it must answer 200 without the
	// server's token, as the Kubernetes kubelet probes it.
	ReadyPath string `yaml:"readyPath" json:"readyPath,omitempty"`
	// StripPrefix runs the server at "/" and has the proxy strip
	// /notebook/<ns>/<server> (the same as proxy.prefix: strip).
	StripPrefix bool `yaml:"stripPrefix" json:"stripPrefix,omitempty"`
	// Proxy overrides how the proxy presents servers of this image
	// (defaults per kind: kinds.go).
	Proxy ImageProxy `yaml:"proxy" json:"-"`
	// ConnectPath is where Connect lands under the server's URL, a template
	// over ConnectData; empty is the server's URL (see ConnectPathFor).
	ConnectPath string `yaml:"connectPath" json:"connectPath,omitempty"`
	// Activity says which requests are polling, not activity (activity.go).
	Activity ActivityRules `yaml:"activity" json:"activity,omitzero"`
	// StartTimeout bounds this image's start, from leaving the queue to
	// answering its readiness probe; 0 takes Config.StartTimeout.
	StartTimeout time.Duration `yaml:"startTimeout" json:"startTimeout,omitempty"`
	// Group is the id of the catalogue group (Config.Groups) the image is
	// a variant of, e.g. "jupyterlab" for the CPU, PyTorch and TensorFlow
	// images. Empty: the image is a group of its own.
	Group string `yaml:"group" json:"group,omitempty"`
	// Groups and EmailDomains say who may use the image: a member of any
	// group or anyone with an email in any domain. Both empty: everyone.
	Groups       []string `yaml:"groups" json:"groups,omitempty"`
	EmailDomains []string `yaml:"emailDomains" json:"emailDomains,omitempty"`
	Default      bool     `yaml:"default" json:"default,omitempty"`
}

// TemplateData is what an Image.Command argument may refer to.
type TemplateData struct {
	Port       int
	BaseURL    string
	Token      string
	Home       string
	Host       string
	Executable string // the spawnhub binary
}

// Name returns the image's name in lang, falling back to English, then the ID.
func (im Image) Name(lang string) string {
	if n := im.Names[lang]; n != "" {
		return n
	}
	if n := im.Names["en"]; n != "" {
		return n
	}
	return im.ID
}

// ImageOption is an image as offered to one user.
type ImageOption struct {
	Image
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"` // a FieldErrorCodes code when not allowed
	// ReasonParams fill the Reason's message.
	ReasonParams map[string]any `json:"-"`
}

// ImagesFor returns the catalogue as offered to who: every image, with why
// who may not use it when that is so.
func (c Config) ImagesFor(who Requester) []ImageOption {
	out := make([]ImageOption, 0, len(c.Images))
	for _, im := range c.Images {
		opt := ImageOption{Image: im, Allowed: im.AllowedFor(who)}
		if !opt.Allowed {
			opt.Reason = "image.restricted"
			opt.ReasonParams = map[string]any{"who": strings.Join(slices.Concat(im.Groups, im.EmailDomains), ", ")}
		}
		out = append(out, opt)
	}
	return out
}

// LaunchImage returns the image of a one-click launch: the catalogue entry
// imageID, or who's default image when imageID is empty. Whether who may
// use it is BuildSpec's rule.
func (c Config) LaunchImage(who Requester, imageID string) (Image, error) {
	if imageID == "" {
		im, ok := c.DefaultImage(who)
		if !ok {
			return Image{}, fieldErr("image", "image.required", nil)
		}
		return im, nil
	}
	im, ok := c.Image(imageID)
	if !ok {
		return Image{}, fieldErr("image", "image.unknown", map[string]any{"image": imageID})
	}
	return im, nil
}

// ImageOf returns the image a spec runs: its catalogue entry, or for a
// custom image an entry of only the spec's kind and container image (the
// backend's defaults for the rest). False when the catalogue no longer has
// the spec's image.
func (c Config) ImageOf(spec store.Spec) (Image, bool) {
	if spec.CustomImage != "" {
		return Image{Kind: spec.Kind, Container: spec.ContainerImage}, true
	}
	return c.Image(spec.Image)
}
