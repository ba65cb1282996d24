package form

import (
	"slices"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

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
