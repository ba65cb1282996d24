package form

import (
	"errors"
	"strings"
	"text/template"

	"github.com/spawnhub/spawnhub/store"
)

// ErrInvalidSpec means the spawn form breaks a rule; the error is a
// *FieldError naming the field.
var ErrInvalidSpec = errors.New("form: invalid server spec")

// Errors of the limits (Quotas); each comes as a *FieldError whose code
// names the limit ("quota.servers", …) and whose field is the part of the
// request that goes over it, when there is one.
var (
	// ErrLimitReached means the namespace (or user) already holds what a
	// limit allows: the request may succeed once something is deleted or
	// stopped (HTTP 409).
	ErrLimitReached = errors.New("form: limit reached")
	// ErrOverLimit means the request by itself asks for more than a limit
	// allows, whatever the namespace holds (HTTP 422).
	ErrOverLimit = errors.New("form: over a limit")
)

// FieldError is a rule broken by one field of the spawn form.
type FieldError struct {
	Field  string         // JSON path, e.g. "dataVolumes[1].mountPath"
	Code   string         // stable message id, a key of FieldErrorCodes
	Params map[string]any // values for the message template
	// Err is the sentinel the error wraps: ErrInvalidSpec when nil,
	// store.ErrConflict for "name.taken" (a 409, not a 400), and
	// ErrLimitReached or ErrOverLimit for the limits.
	Err error
}

// FieldErrors are several rules a form breaks, in the form's order.
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.As and errors.Is see each field error.
func (es FieldErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Error returns the English message.
func (e *FieldError) Error() string {
	return e.Field + ": " + e.Message()
}

// Message renders the English template of the code with the params.
func (e *FieldError) Message() string {
	tmpl, ok := FieldErrorCodes[e.Code]
	if !ok {
		return e.Code
	}
	t, err := template.New(e.Code).Parse(tmpl)
	if err != nil {
		return tmpl
	}
	var b strings.Builder
	if err := t.Execute(&b, e.Params); err != nil {
		return tmpl
	}
	return b.String()
}

// Unwrap returns Err, or ErrInvalidSpec.
func (e *FieldError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return ErrInvalidSpec
}

func fieldErr(field, code string, params map[string]any) *FieldError {
	return &FieldError{Field: field, Code: code, Params: params}
}

// FieldErrorCodes maps every FieldError code to its English message, a
// text/template over FieldError.Params. The web layer builds its English and
// French catalogs from it.
var FieldErrorCodes = map[string]string{
	"name.required":           "A name is required.",
	"name.invalid":            "Use lowercase letters, digits and dashes, starting with a letter and not ending with a dash, at most {{.max}} characters.",
	"name.taken":              "A server named {{.name}} already exists in this namespace.",
	"image.required":          "Choose an image.",
	"image.unknown":           "There is no image {{.image}}.",
	"image.forbidden":         "You may not use the image {{.image}}.",
	"image.conflict":          "Choose either an image or a custom image, not both.",
	"customImage.forbidden":   "Custom images are not allowed.",
	"customImage.invalid":     "{{.image}} is not a valid container image reference.",
	"cpu.invalid":             "{{.value}} is not a number of CPU cores (e.g. 1, 0.5, 500m).",
	"cpu.range":               "CPU must be between {{.min}} and {{.max}}.",
	"cpuLimit.invalid":        "{{.value}} is not a number of CPU cores (e.g. 1, 0.5, 500m).",
	"cpuLimit.range":          "The CPU limit must be at least the CPU request ({{.min}}) and at most {{.max}}.",
	"memory.invalid":          "{{.value}} is not an amount of memory (e.g. 4Gi, 512Mi).",
	"memory.range":            "Memory must be between {{.min}} and {{.max}}.",
	"memoryLimit.invalid":     "{{.value}} is not an amount of memory (e.g. 4Gi, 512Mi).",
	"memoryLimit.range":       "The memory limit must be at least the memory request ({{.min}}) and at most {{.max}}.",
	"gpus.range":              "The number of GPUs must be between 0 and {{.max}}.",
	"gpuVendor.unknown":       "There is no GPU vendor {{.vendor}}; choose one of {{.vendors}}.",
	"gpuVendor.none":          "This cluster offers no choice of GPU vendor: leave it out.",
	"workspace.conflict":      "Choose either a new or an existing workspace volume, not both.",
	"volume.name.invalid":     "{{.value}} is not a valid volume name.",
	"volume.size.invalid":     "{{.value}} is not a size (e.g. 16Gi).",
	"volume.size.range":       "The size must be between {{.min}} and {{.max}}.",
	"dataVolume.required":     "Choose a new or an existing volume.",
	"mountPath.invalid":       "The mount path must be an absolute path without '..'.",
	"mountPath.duplicate":     "Another volume is already mounted at {{.path}}.",
	"configuration.unknown":   "There is no configuration {{.id}}.",
	"configuration.duplicate": "The configuration {{.id}} is listed twice.",
	"language.invalid":        "The language must be one of {{.languages}}.",
	"image.restricted":        "This image is only for members of some groups or organisations ({{.who}}).",
	"customImage.scheme":      "Give the image without http:// or https://, e.g. registry.example.org/team/image:tag.",
	"customImage.pattern":     "{{.image}} is not allowed: custom images must match {{.pattern}}.",
	"mountPath.reserved":      "A volume cannot be mounted at {{.path}}: the system or the workspace uses that folder.",
	"volume.duplicate":        "The volume {{.volume}} appears twice in this form.",
	"volume.taken":            "A volume named {{.volume}} already exists in this namespace.",
	"volume.unknown":          "There is no volume {{.volume}} in this namespace.",
	"volume.mounted":          "The volume {{.volume}} is mounted by the server {{.server}}; stop that server first.",

	"quota.servers":              "Namespace {{.namespace}} already has {{.limit}} servers, the limit: delete one first.",
	"quota.runningServers":       "Namespace {{.namespace}} already has {{.limit}} servers running or starting, the limit: stop one first.",
	"quota.dataVolumesPerServer": "A server of namespace {{.namespace}} may have at most {{.limit}} data volumes, the limit.",
	"quota.storage":              "This would bring the storage requested in namespace {{.namespace}} to {{.total}}, above the limit of {{.limit}} ({{.used}} already in use).",
}

// NameTaken is the error of a server name already used in the namespace
// (a store.ErrConflict).
func NameTaken(name string) *FieldError {
	return &FieldError{Field: "name", Code: "name.taken", Params: map[string]any{"name": name}, Err: store.ErrConflict}
}

// VolumeTaken is the error of a new volume whose name is used (a
// store.ErrConflict); field names it in the form.
func VolumeTaken(field, volume string) *FieldError {
	return &FieldError{Field: field, Code: "volume.taken", Params: map[string]any{"volume": volume}, Err: store.ErrConflict}
}

// VolumeUnknown is the error of a volume the namespace does not have.
func VolumeUnknown(field, volume string) *FieldError {
	return fieldErr(field, "volume.unknown", map[string]any{"volume": volume})
}

// VolumeMounted is the error of a volume that another server mounts (a
// store.ErrConflict).
func VolumeMounted(field, volume, server string) *FieldError {
	return &FieldError{Field: field, Code: "volume.mounted", Params: map[string]any{"volume": volume, "server": server}, Err: store.ErrConflict}
}
