package form

import (
	"errors"
	"fmt"
	"slices"
	"text/template"
	"time"
)

// Image kinds.
const (
	KindJupyter = "jupyter"
	KindRStudio = "rstudio"
	KindDesktop = "desktop"
	KindSAS     = "sas"
	KindDemo    = "demo"
	// KindWeb is any other web application served at "/" behind the
	// prefix (a Shiny app, Streamlit, …): generic activity rules.
	KindWeb = "web"
)

var kinds = []string{KindJupyter, KindRStudio, KindDesktop, KindSAS, KindWeb, KindDemo}

// Range bounds a resource quantity. Min and Max may be empty (unbounded);
// Default is used when the form leaves the quantity out.
type Range struct {
	Min     string `yaml:"min" json:"min,omitempty"`
	Max     string `yaml:"max" json:"max,omitempty"`
	Default string `yaml:"default" json:"default,omitempty"`
}

// Limits is the resource policy of the spawn form.
type Limits struct {
	CPU           Range `yaml:"cpu" json:"cpu"`                     // cores: "1", "0.5", "500m"
	Memory        Range `yaml:"memory" json:"memory"`               // bytes: "4Gi", "512Mi"
	WorkspaceSize Range `yaml:"workspaceSize" json:"workspaceSize"` // bytes
	VolumeSize    Range `yaml:"volumeSize" json:"volumeSize"`       // bytes, data volumes
	MaxGPUs       int   `yaml:"maxGPUs" json:"maxGPUs"`
}

// Configuration is an optional bundle a user may add to a server (proxy
// settings, a database connection, a shared dataset): environment
// variables, labels and extra volumes.
type Configuration struct {
	ID      string                `yaml:"id" json:"id"`
	Names   map[string]string     `yaml:"names" json:"names"`
	Env     map[string]string     `yaml:"env" json:"-"`
	Labels  map[string]string     `yaml:"labels" json:"-"`
	Volumes []ConfigurationVolume `yaml:"volumes" json:"-"`
}

// ConfigurationVolume is a volume of the server's namespace that a
// configuration mounts (a shared PersistentVolumeClaim; a volume folder for
// the local backend). Unlike data volumes, it may be mounted by several
// servers at once.
type ConfigurationVolume struct {
	Name      string `yaml:"name" json:"name"`
	MountPath string `yaml:"mountPath" json:"mountPath"`
}

// GPU says how GPU servers are asked for and sized.
type GPU struct {
	// Resource is the extended resource of a GPU ("nvidia.com/gpu" when
	// empty).
	Resource string `yaml:"resource" json:"resource"`
	// NodeSelector and Tolerations place GPU pods (kube backend).
	NodeSelector map[string]string `yaml:"nodeSelector" json:"-"`
	Tolerations  []Toleration      `yaml:"tolerations" json:"-"`
	// Preset is what a GPU server gets whatever the form said (the seed: 6
	// CPU, 96Gi). Empty fields leave the form's value.
	Preset Preset `yaml:"preset" json:"preset"`
	// Vendors, when the cluster has more than one kind of GPU, are the
	// choices of the form, each with its resource and placement; none (the
	// default) asks for Resource placed by NodeSelector and Tolerations.
	Vendors []GPUVendor `yaml:"vendors" json:"vendors,omitempty"`
}

// Preset is a fixed request (= limit) of CPU and memory.
type Preset struct {
	CPU    string `yaml:"cpu" json:"cpu,omitempty"`
	Memory string `yaml:"memory" json:"memory,omitempty"`
}

// Toleration lets GPU pods run on tainted GPU nodes (kube backend), as in
// Kubernetes' core/v1 Toleration.
type Toleration struct {
	Key      string `yaml:"key" json:"key,omitempty"`
	Operator string `yaml:"operator" json:"operator,omitempty"`
	Value    string `yaml:"value" json:"value,omitempty"`
	Effect   string `yaml:"effect" json:"effect,omitempty"`
}

// DefaultGPUResource is GPU.Resource when the configuration leaves it out.
const DefaultGPUResource = "nvidia.com/gpu"

// Config is the spawner's configuration: the form's policy, and the start
// queue's size and the timeouts that the manager reads.
type Config struct {
	Images            []Image         `yaml:"images" json:"images"`
	Groups            []ImageGroup    `yaml:"groups" json:"groups,omitempty"`
	Configurations    []Configuration `yaml:"configurations" json:"configurations,omitempty"`
	Limits            Limits          `yaml:"limits" json:"limits"`
	AllowCustomImages bool            `yaml:"allowCustomImages" json:"allowCustomImages"`
	// CustomImagePattern, when set, is a regular expression a custom image
	// must match in full (e.g. the organisation's registry with a tag or
	// digest).
	CustomImagePattern  string        `yaml:"customImagePattern" json:"customImagePattern,omitempty"`
	GPU                 GPU           `yaml:"gpu" json:"gpu"`
	DefaultLanguage     string        `yaml:"defaultLanguage" json:"defaultLanguage"`         // "en" when empty
	MaxConcurrentStarts int           `yaml:"maxConcurrentStarts" json:"maxConcurrentStarts"` // per replica; 4 when 0
	StartTimeout        time.Duration `yaml:"startTimeout" json:"startTimeout"`               // 5m when 0
	StopTimeout         time.Duration `yaml:"stopTimeout" json:"stopTimeout"`                 // 1m when 0

	// MaxStartsPerPool and MaxStartsPerBackend bound the starts in flight
	// across replicas: in each capacity pool (image × GPU or not), and in
	// the whole backend (so that the Kubernetes API is not flooded); 0 is
	// no limit.
	MaxStartsPerPool    int `yaml:"maxStartsPerPool" json:"maxStartsPerPool,omitempty"`
	MaxStartsPerBackend int `yaml:"maxStartsPerBackend" json:"maxStartsPerBackend,omitempty"`
}

// Defaults used for zero Config fields.
const (
	DefaultMaxConcurrentStarts = 4
	DefaultStartTimeout        = 5 * time.Minute
	DefaultStopTimeout         = time.Minute
)

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = "en"
	}
	if c.GPU.Resource == "" {
		c.GPU.Resource = DefaultGPUResource
	}
	c.GPU = c.GPU.withVendorDefaults()
	if c.MaxConcurrentStarts == 0 {
		c.MaxConcurrentStarts = DefaultMaxConcurrentStarts
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	return c
}

// Image returns the catalogue entry with that id.
func (c Config) Image(id string) (Image, bool) {
	i := slices.IndexFunc(c.Images, func(im Image) bool { return im.ID == id })
	if i < 0 {
		return Image{}, false
	}
	return c.Images[i], true
}

// Validate reports every problem of c at once. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	if len(c.Images) == 0 {
		errs = append(errs, errors.New("images: at least one image is required"))
	}
	seen := map[string]bool{}
	for i, im := range c.Images {
		if seen[im.ID] {
			errs = append(errs, fmt.Errorf("images[%d].id: duplicate %q", i, im.ID))
		}
		seen[im.ID] = true
		errs = append(errs, im.validate(fmt.Sprintf("images[%d]", i)))
	}
	errs = append(errs, c.validateGroups())
	for i, cf := range c.Configurations {
		errs = append(errs, cf.validate(fmt.Sprintf("configurations[%d]", i)))
	}
	errs = append(errs, c.Limits.validate(), c.GPU.validate(), c.validateCustomImages())
	if c.DefaultLanguage != "" && !slices.Contains(Languages, c.DefaultLanguage) {
		errs = append(errs, fmt.Errorf("defaultLanguage: %q is not one of %v", c.DefaultLanguage, Languages))
	}
	errs = append(errs, nonNegative("maxConcurrentStarts", c.MaxConcurrentStarts),
		nonNegative("maxStartsPerPool", c.MaxStartsPerPool), nonNegative("maxStartsPerBackend", c.MaxStartsPerBackend))
	if c.StartTimeout < 0 || c.StopTimeout < 0 {
		errs = append(errs, errors.New("startTimeout, stopTimeout: must not be negative"))
	}
	return errors.Join(errs...)
}

func (cf Configuration) validate(path string) error {
	var errs []error
	if !validName(cf.ID) {
		errs = append(errs, fmt.Errorf("%s.id: %q is not a lowercase name", path, cf.ID))
	}
	for j, v := range cf.Volumes {
		if !validName(v.Name) {
			errs = append(errs, fmt.Errorf("%s.volumes[%d].name: %q is not a lowercase name", path, j, v.Name))
		}
		if !validMountPath(v.MountPath) {
			errs = append(errs, fmt.Errorf("%s.volumes[%d].mountPath: %q is not an absolute path without '..'", path, j, v.MountPath))
		}
	}
	return errors.Join(errs...)
}

func (g GPU) validate() error {
	var errs []error
	if g.Preset.CPU != "" {
		if _, err := ParseCPU(g.Preset.CPU); err != nil {
			errs = append(errs, fmt.Errorf("gpu.preset.cpu: %w", err))
		}
	}
	if g.Preset.Memory != "" {
		if _, err := ParseBytes(g.Preset.Memory); err != nil {
			errs = append(errs, fmt.Errorf("gpu.preset.memory: %w", err))
		}
	}
	errs = append(errs, g.validateVendors())
	return errors.Join(errs...)
}

func (c Config) validateCustomImages() error {
	if c.CustomImagePattern == "" {
		return nil
	}
	if _, err := compilePattern(c.CustomImagePattern); err != nil {
		return fmt.Errorf("customImagePattern: %w", err)
	}
	return nil
}

// maxImageIDLen leaves room for the "-xxxxx" suffix of generated names.
const maxImageIDLen = maxNameLen - 1 - generatedSuffixLen

func (im Image) validate(path string) error {
	var errs []error
	if !validName(im.ID) || len(im.ID) > maxImageIDLen {
		errs = append(errs, fmt.Errorf("%s.id: %q must be lowercase letters, digits and dashes, at most %d characters", path, im.ID, maxImageIDLen))
	}
	if !slices.Contains(kinds, im.Kind) {
		errs = append(errs, fmt.Errorf("%s.kind: %q is not one of %v", path, im.Kind, kinds))
	}
	if len(im.Command) == 0 && im.Container == "" {
		errs = append(errs, fmt.Errorf("%s: needs a command (local backend) or a container (kube backend)", path))
	}
	for _, bad := range im.Proxy.validate(path + ".proxy") {
		errs = append(errs, errors.New(bad))
	}
	if im.StartTimeout < 0 {
		errs = append(errs, fmt.Errorf("%s.startTimeout: %s is negative", path, im.StartTimeout))
	}
	for j, arg := range im.Command {
		if _, err := template.New("arg").Option("missingkey=error").Parse(arg); err != nil {
			errs = append(errs, fmt.Errorf("%s.command[%d]: %w", path, j, err))
		}
	}
	if err := im.validateConnectPath(path); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, im.Activity.validate(path))
	return errors.Join(errs...)
}

func (l Limits) validate() error {
	return errors.Join(
		l.CPU.validate("limits.cpu", ParseCPU),
		l.Memory.validate("limits.memory", ParseBytes),
		l.WorkspaceSize.validate("limits.workspaceSize", ParseBytes),
		l.VolumeSize.validate("limits.volumeSize", ParseBytes),
		nonNegative("limits.maxGPUs", l.MaxGPUs),
	)
}

func nonNegative(path string, n int) error {
	if n < 0 {
		return fmt.Errorf("%s: %d is negative", path, n)
	}
	return nil
}

func (r Range) validate(path string, parse func(string) (int64, error)) error {
	var errs []error
	val := map[string]int64{}
	for name, s := range map[string]string{"min": r.Min, "max": r.Max, "default": r.Default} {
		if s == "" {
			continue
		}
		v, err := parse(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", path, name, err))
			continue
		}
		val[name] = v
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	min, hasMin := val["min"]
	max, hasMax := val["max"]
	def, hasDef := val["default"]
	if hasMin && hasMax && min > max {
		errs = append(errs, fmt.Errorf("%s: min %s is above max %s", path, r.Min, r.Max))
	}
	if hasDef && ((hasMin && def < min) || (hasMax && def > max)) {
		errs = append(errs, fmt.Errorf("%s: default %s is outside [%s, %s]", path, r.Default, r.Min, r.Max))
	}
	return errors.Join(errs...)
}
