package form

import (
	"path"
	"regexp"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

// HomeDir is where the workspace volume is mounted in a server.
const HomeDir = "/home/jovyan"

// DefaultMountPath is where the data volume at index i (from 0) is mounted
// unless the form says otherwise: /home/jovyan/vol-1, vol-2, …
func DefaultMountPath(i int) string { return HomeDir + "/vol-" + itoa(i+1) }

// WorkspaceVolumeName is the default name of a server's new workspace.
func WorkspaceVolumeName(server string) string { return server + "-workspace" }

// DataVolumeName is the default name of a server's new data volume at
// index i (from 0).
func DataVolumeName(server string, i int) string { return server + "-datavol-" + itoa(i+1) }

// maxVolumeNameLen is a Kubernetes label's length: room for a 40-character
// server name and "-datavol-NN".
const maxVolumeNameLen = 63

// ValidVolumeName reports whether s can name a volume: lowercase letters,
// digits and dashes, starting with a letter, at most 63 characters.
func ValidVolumeName(s string) bool {
	return len(s) <= maxVolumeNameLen && nameRE.MatchString(s)
}

const maxMountPathLen = 255

var controlRE = regexp.MustCompile(`[\x00-\x1f\x7f]`)

// validMountPath: absolute, clean, no "..", no control characters.
func validMountPath(p string) bool {
	return len(p) <= maxMountPathLen && path.IsAbs(p) && path.Clean(p) == p &&
		!strings.Contains(p, "..") && !controlRE.MatchString(p)
}

// reservedMounts are folders a data volume may not hide: the home folder
// (the workspace is there) and the system's own.
var reservedMounts = []string{"/", HomeDir, "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var/run"}

func reservedMount(p string) bool {
	for _, r := range reservedMounts {
		if p == r || (r != "/" && r != HomeDir && strings.HasPrefix(p, r+"/")) {
			return true
		}
	}
	return false
}

func ruleWorkspace(st *formState) *FieldError {
	w := st.f.Workspace
	if w == nil {
		w = &WorkspaceForm{}
	}
	if w.New != nil && w.Existing != "" {
		return fieldErr("workspace", "workspace.conflict", nil)
	}
	if w.Existing != "" {
		if !ValidVolumeName(w.Existing) {
			return fieldErr("workspace.existing", "volume.name.invalid", map[string]any{"value": w.Existing})
		}
		st.spec.Workspace = &store.Volume{Name: w.Existing}
		return nil
	}
	nv := NewVolumeForm{}
	if w.New != nil {
		nv = *w.New
	}
	vol, fe := newVolume(nv, "workspace.new", WorkspaceVolumeName(st.f.Name), st.cfg.Limits.WorkspaceSize)
	if fe != nil {
		return fe
	}
	st.spec.Workspace = &vol
	return nil
}

// newVolume checks a volume to create; field is the form's path to it.
func newVolume(nv NewVolumeForm, field, defaultName string, r Range) (store.Volume, *FieldError) {
	name := nv.Name
	if name == "" {
		name = defaultName
	}
	if !ValidVolumeName(name) {
		return store.Volume{}, fieldErr(field+".name", "volume.name.invalid", map[string]any{"value": name})
	}
	size, fe := quantityRule{field + ".size", "volume.size", ParseBytes, r}.check(nv.Size, "")
	if fe != nil {
		return store.Volume{}, fe
	}
	return store.Volume{Name: name, Size: size, New: true}, nil
}

func ruleDataVolumes(st *formState) *FieldError {
	for i, dv := range st.f.DataVolumes {
		field := "dataVolumes[" + itoa(i) + "]"
		vol, fe := dataVolume(st, field, i, dv)
		if fe != nil {
			return fe
		}
		if st.mountPathUsed(vol.MountPath) {
			return fieldErr(field+".mountPath", "mountPath.duplicate", map[string]any{"path": vol.MountPath})
		}
		st.spec.DataVolumes = append(st.spec.DataVolumes, vol)
	}
	return nil
}

func dataVolume(st *formState, field string, i int, dv DataVolumeForm) (store.DataVolume, *FieldError) {
	if (dv.New == nil) == (dv.Existing == "") {
		return store.DataVolume{}, fieldErr(field, "dataVolume.required", nil)
	}
	mount := dv.MountPath
	if mount == "" {
		mount = DefaultMountPath(i)
	}
	if !validMountPath(mount) {
		return store.DataVolume{}, fieldErr(field+".mountPath", "mountPath.invalid", map[string]any{"path": mount})
	}
	if reservedMount(mount) {
		return store.DataVolume{}, fieldErr(field+".mountPath", "mountPath.reserved", map[string]any{"path": mount})
	}
	if dv.Existing != "" {
		if !ValidVolumeName(dv.Existing) {
			return store.DataVolume{}, fieldErr(field+".existing", "volume.name.invalid", map[string]any{"value": dv.Existing})
		}
		return store.DataVolume{Volume: store.Volume{Name: dv.Existing}, MountPath: mount}, nil
	}
	vol, fe := newVolume(*dv.New, field+".new", DataVolumeName(st.f.Name, i), st.cfg.Limits.VolumeSize)
	if fe != nil {
		return store.DataVolume{}, fe
	}
	return store.DataVolume{Volume: vol, MountPath: mount}, nil
}

// ruleVolumeNames refuses one volume twice in a form: two new volumes of
// one name, or one existing volume attached twice.
func ruleVolumeNames(st *formState) *FieldError {
	seen := map[string]bool{}
	for _, v := range VolumeRefs(st.spec) {
		if seen[v.Name] {
			return fieldErr(v.Field, "volume.duplicate", map[string]any{"volume": v.Name})
		}
		seen[v.Name] = true
	}
	return nil
}

// VolumeRef is a volume a spec mounts exclusively, with the form field that
// names it.
type VolumeRef struct {
	Name  string
	Size  string
	New   bool
	Field string
}

// VolumeRefs lists the workspace and data volumes of a spec (not the shared
// volumes of configurations).
func VolumeRefs(spec store.Spec) []VolumeRef {
	var out []VolumeRef
	ref := func(v store.Volume, field string) {
		f := field + ".existing"
		if v.New {
			f = field + ".new.name"
		}
		out = append(out, VolumeRef{Name: v.Name, Size: v.Size, New: v.New, Field: f})
	}
	if spec.Workspace != nil {
		ref(*spec.Workspace, "workspace")
	}
	for i, dv := range spec.DataVolumes {
		ref(dv.Volume, "dataVolumes["+itoa(i)+"]")
	}
	return out
}

// CheckNewVolume checks a data volume created on its own (not with a
// server): its name, and its size within the limits; size "" is the
// default. It returns the size to create. The error is a *FieldError on
// "name" or "size".
func (l Limits) CheckNewVolume(name, size string) (string, error) {
	if !ValidVolumeName(name) {
		return "", fieldErr("name", "volume.name.invalid", map[string]any{"value": name})
	}
	size, fe := quantityRule{"size", "volume.size", ParseBytes, l.VolumeSize}.check(size, "")
	if fe != nil {
		return "", fe
	}
	return size, nil
}
