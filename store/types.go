package store

import (
	"strings"
	"time"
)

// Key names a server: its namespace and its name.
type Key struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// String returns "namespace/name".
func (k Key) String() string { return k.Namespace + "/" + k.Name }

// WorkspacePrefix is the path every workspace is served under, on every
// origin: a server's base URL is /notebook/<namespace>/<name>/ (Jupyter's
// NB_PREFIX). This is the one place that says so.
const WorkspacePrefix = "/notebook/"

// BasePath is the server's base URL: /notebook/<namespace>/<name>/.
func (k Key) BasePath() string { return WorkspacePrefix + k.Namespace + "/" + k.Name + "/" }

// ParseKey is the inverse of Key.String.
func ParseKey(s string) (Key, bool) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" {
		return Key{}, false
	}
	return Key{Namespace: ns, Name: name}, true
}

// Phase is where a server is in its lifecycle.
type Phase string

// The lifecycle: Stopped → Queued → Starting → Running → Stopping → Stopped,
// plus Failed with a reason in Server.Message.
const (
	PhaseStopped  Phase = "stopped"
	PhaseQueued   Phase = "queued"
	PhaseStarting Phase = "starting"
	PhaseRunning  Phase = "running"
	PhaseStopping Phase = "stopping"
	PhaseFailed   Phase = "failed"
)

// Server is the record of one workspace server.
type Server struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     Phase  `json:"phase"`
	Message   string `json:"message,omitempty"`
	// MessageCode and MessageParams are Message as a catalog code and its
	// parameters, so that pages say it in their reader's language; Message
	// keeps the English text (logs, clients that know no codes).
	MessageCode   string            `json:"messageCode,omitempty"`
	MessageParams map[string]string `json:"messageParams,omitempty"`
	Spec          Spec              `json:"spec"`
	// Instance identifies what runs the server in its backend (a process
	// id and start time, a pod UID); empty when nothing runs.
	Instance string `json:"instance,omitempty"`
	// Owner is the replica working on a transition (Queued, Starting,
	// Stopping), so that the others can tell a stalled one.
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	StartedAt time.Time `json:"startedAt,omitzero"`
	StoppedAt time.Time `json:"stoppedAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
	// Cull is the culler's warning (before) or its reason (after a cull);
	// nil when the culler has nothing to say. A start clears it.
	Cull *Cull `json:"cull,omitempty"`
}

// Key returns the server's key.
func (s Server) Key() Key { return Key{Namespace: s.Namespace, Name: s.Name} }

// Spec is what the user asked for, after defaults and policy were applied.
type Spec struct {
	Image          string       `json:"image"` // image id from the catalogue; empty for a custom image
	CustomImage    string       `json:"customImage,omitempty"`
	ContainerImage string       `json:"containerImage"` // resolved container reference
	Kind           string       `json:"kind"`           // jupyter, rstudio, desktop, sas, demo
	CPU            string       `json:"cpu,omitempty"`
	CPULimit       string       `json:"cpuLimit,omitempty"`
	Memory         string       `json:"memory,omitempty"`
	MemoryLimit    string       `json:"memoryLimit,omitempty"`
	GPUs           int          `json:"gpus"`
	GPUVendor      string       `json:"gpuVendor,omitempty"` // an id of spawner.gpu.vendors; empty when none are configured
	Workspace      *Volume      `json:"workspace,omitempty"`
	DataVolumes    []DataVolume `json:"dataVolumes,omitempty"`
	Configurations []string     `json:"configurations,omitempty"`
	SharedMemory   bool         `json:"sharedMemory"`
	Language       string       `json:"language,omitempty"`
	StripPrefix    bool         `json:"stripPrefix,omitempty"` // the proxy strips /notebook/<ns>/<server>
	Env            []EnvVar     `json:"env,omitempty"`         // from configurations
	// Labels and ExtraVolumes come from configurations too: labels of the
	// pod, and shared volumes of the namespace mounted at their paths.
	Labels       map[string]string `json:"labels,omitempty"`
	ExtraVolumes []DataVolume      `json:"extraVolumes,omitempty"`
}

// Volume is a persistent volume, new or existing.
type Volume struct {
	Name string `json:"name"`
	Size string `json:"size,omitempty"`
	New  bool   `json:"new,omitempty"`
}

// DataVolume is a volume mounted at a path.
type DataVolume struct {
	Volume
	MountPath string `json:"mountPath"`
}

// EnvVar is one environment variable given to a server.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Route is where a running server listens, and how to talk to it.
type Route struct {
	// Target is the base URL of the server, e.g. http://127.0.0.1:41234.
	Target string `json:"target"`
	// Token authenticates the proxy to the server; the proxy injects it.
	Token       string `json:"token,omitempty"`
	StripPrefix bool   `json:"stripPrefix,omitempty"`
	// Namespace is the server's namespace, for the proxy's access check.
	Namespace string `json:"namespace"`
	// Kind is the image's kind (jupyter, desktop, …): it says what in the
	// server's traffic is a person's activity.
	Kind string `json:"kind,omitempty"`
	// ActivityIgnore lists the requests that are not activity (background
	// polling): path patterns under the base URL, see the proxy.
	ActivityIgnore []string `json:"activityIgnore,omitempty"`

	// Presentation (kinds): what the server's kind needs from the proxy
	// (spawner/form/kinds.go). Headers are set on every request to the
	// server (canonical names, final values); RewriteRedirects moves its
	// redirects under /notebook/<ns>/<server>/; ResponseTimeout, when not
	// zero, replaces the proxy's response-header timeout (long polls).
	Headers          map[string]string `json:"headers,omitempty"`
	RewriteRedirects bool              `json:"rewriteRedirects,omitempty"`
	ResponseTimeout  time.Duration     `json:"responseTimeout,omitempty"`
}

// Activity is one entry of the activity set.
type Activity struct {
	Key    Key
	Last   time.Time
	Source string // what the person did last (an ActivitySource); may be empty
}

// Mark is one activity to record: when, and what it was.
type Mark struct {
	At     time.Time
	Source string
}

// Activity sources: what a person (or their kernel) last did. A source
// may name what it was done in after a colon: "kernel:python3" (see
// KernelSource).
const (
	SourceRequest  = "request"  // an HTTP request
	SourceKernel   = "kernel"   // a message to a kernel (execute, complete, …)
	SourceTerminal = "terminal" // typing in a terminal
	SourceKeyboard = "keyboard" // a key on the desktop
	SourceMouse    = "mouse"    // the mouse on the desktop
	SourceSocket   = "socket"   // data sent on a websocket
	SourceBusy     = "busy"     // a kernel busy computing
	SourceKeep     = "keep"     // "keep it running" after a warning
	SourceStart    = "start"    // the server started
)

// Cull reasons.
const (
	CullIdle   = "idle"
	CullMaxAge = "maxAge"
)

// Cull is a warning that the culler will stop a server, or the record that
// it did.
type Cull struct {
	Reason       string    `json:"reason"` // CullIdle or CullMaxAge
	WarnedAt     time.Time `json:"warnedAt"`
	At           time.Time `json:"at"` // when it is (or was) culled
	LastActivity time.Time `json:"lastActivity,omitzero"`
	Source       string    `json:"source,omitempty"` // of the last activity
	Done         bool      `json:"done,omitempty"`   // culled
}

// Event is something that happened to a server, shown to its user.
type Event struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // Normal or Warning
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	// Code and Params are Message as a catalog code and its parameters
	// (none for events copied from Kubernetes, which only have words).
	Code   string            `json:"code,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// Same reports whether e and o are the same event.
func (e Event) Same(o Event) bool {
	return e.Time.Equal(o.Time) && e.Type == o.Type && e.Reason == o.Reason && e.Message == o.Message && e.Code == o.Code
}

// Event types.
const (
	EventNormal  = "Normal"
	EventWarning = "Warning"
)

// User is a person who has logged in at least once.
type User struct {
	ID        string    `json:"id"` // stable: the email, or the dev login name
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	Groups    []string  `json:"groups,omitempty"`
	Namespace string    `json:"namespace"` // the namespace they own
	Language  string    `json:"language,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	LastLogin time.Time `json:"lastLogin"`
}

// Namespace is a space for servers and volumes, owned by one user and shared
// with contributors.
type Namespace struct {
	Name         string        `json:"name"`
	Owner        string        `json:"owner"` // a User.ID
	Contributors []Contributor `json:"contributors,omitempty"`
	CreatedAt    time.Time     `json:"createdAt"`
	Version      int64         `json:"version"`
}

// Contributor is a user a namespace is shared with.
type Contributor struct {
	User string `json:"user"` // a User.ID (email)
	Role string `json:"role"` // edit or view
}

// Token is an API token. The secret itself is never stored.
type Token struct {
	ID        string    `json:"id"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret
	User      string    `json:"user"`
	Name      string    `json:"name,omitempty"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}
