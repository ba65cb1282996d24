package spawner

import (
	"path"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

func ruleWorkspace(st *formState) *FieldError {
	w := st.f.Workspace
	if w == nil {
		w = &WorkspaceForm{}
	}
	if w.New != nil && w.Existing != "" {
		return fieldErr("workspace", "workspace.conflict", nil)
	}
	if w.Existing != "" {
		if !validName(w.Existing) {
			return fieldErr("workspace.existing", "volume.name.invalid", map[string]any{"value": w.Existing})
		}
		st.spec.Workspace = &store.Volume{Name: w.Existing}
		return nil
	}
	size := ""
	if w.New != nil {
		size = w.New.Size
	}
	size, fe := quantityRule{"workspace.new.size", "volume.size", ParseBytes, st.cfg.Limits.WorkspaceSize}.check(size, "")
	if fe != nil {
		return fe
	}
	st.spec.Workspace = &store.Volume{Name: st.f.Name + "-workspace", Size: size, New: true}
	return nil
}

func ruleDataVolumes(st *formState) *FieldError {
	mounts := map[string]bool{}
	for i, dv := range st.f.DataVolumes {
		field := "dataVolumes[" + itoa(i) + "]"
		vol, fe := dataVolume(st, field, i, dv)
		if fe != nil {
			return fe
		}
		if mounts[vol.MountPath] {
			return fieldErr(field+".mountPath", "mountPath.duplicate", map[string]any{"path": vol.MountPath})
		}
		mounts[vol.MountPath] = true
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
		mount = "/home/jovyan/vol-" + itoa(i+1)
	}
	if !path.IsAbs(mount) || path.Clean(mount) != mount || strings.Contains(mount, "..") {
		return store.DataVolume{}, fieldErr(field+".mountPath", "mountPath.invalid", map[string]any{"path": mount})
	}
	if dv.Existing != "" {
		if !validName(dv.Existing) {
			return store.DataVolume{}, fieldErr(field+".existing", "volume.name.invalid", map[string]any{"value": dv.Existing})
		}
		return store.DataVolume{Volume: store.Volume{Name: dv.Existing}, MountPath: mount}, nil
	}
	name := dv.New.Name
	if name == "" {
		name = st.f.Name + "-datavol-" + itoa(i+1)
	}
	if !validName(name) {
		return store.DataVolume{}, fieldErr(field+".new.name", "volume.name.invalid", map[string]any{"value": name})
	}
	size, fe := quantityRule{field + ".new.size", "volume.size", ParseBytes, st.cfg.Limits.VolumeSize}.check(dv.New.Size, "")
	if fe != nil {
		return store.DataVolume{}, fe
	}
	return store.DataVolume{Volume: store.Volume{Name: name, Size: size, New: true}, MountPath: mount}, nil
}
