package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// Volumes are folders <DataDir>/volumes/<ns>/<name>, each with a metadata
// file <name>.json beside it (size and creation time). The size is
// recorded, not enforced: a folder has no quota.

// VolumeDir is the folder of a namespace's volume.
func (b *Backend) VolumeDir(ns, name string) string {
	return filepath.Join(b.o.DataDir, "volumes", ns, name)
}

func (b *Backend) volumeMeta(ns, name string) string {
	return filepath.Join(b.o.DataDir, "volumes", ns, name+".json")
}

// ListVolumes implements spawner.VolumeStore.
func (b *Backend) ListVolumes(ctx context.Context, ns string) ([]spawner.Volume, error) {
	if err := checkKey(store.Key{Namespace: ns, Name: "x"}); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(b.o.DataDir, "volumes", ns))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local backend: list volumes of %s: %w", ns, err)
	}
	var out []spawner.Volume
	for _, e := range entries {
		if !e.IsDir() || !form.ValidVolumeName(e.Name()) {
			continue
		}
		out = append(out, b.readVolume(ns, e))
	}
	slices.SortFunc(out, func(a, b spawner.Volume) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readVolume reads a volume's metadata; a folder without any (created by
// hand, or a crash between the two writes) gets its modification time.
func (b *Backend) readVolume(ns string, e fs.DirEntry) spawner.Volume {
	v := spawner.Volume{Name: e.Name()}
	raw, err := os.ReadFile(b.volumeMeta(ns, e.Name()))
	if err == nil && json.Unmarshal(raw, &v) == nil {
		v.Name = e.Name()
		return v
	}
	if info, err := e.Info(); err == nil {
		v.CreatedAt = info.ModTime()
	}
	return v
}

// CreateVolume implements spawner.VolumeStore; store.ErrConflict if the
// folder exists.
func (b *Backend) CreateVolume(ctx context.Context, ns string, v spawner.Volume) (spawner.Volume, error) {
	if err := checkKey(store.Key{Namespace: ns, Name: v.Name}); err != nil {
		return spawner.Volume{}, err
	}
	dir := b.VolumeDir(ns, v.Name)
	if err := b.serverDir(dir, true); errors.Is(err, fs.ErrExist) {
		return spawner.Volume{}, fmt.Errorf("local backend: volume %s/%s: %w", ns, v.Name, store.ErrConflict)
	} else if err != nil {
		return spawner.Volume{}, fmt.Errorf("local backend: %w", err)
	}
	if err := b.writeMeta(ns, v); err != nil {
		os.RemoveAll(dir)
		return spawner.Volume{}, err
	}
	return v, nil
}

// writeMeta writes the metadata file atomically.
func (b *Backend) writeMeta(ns string, v spawner.Volume) error {
	raw, _ := json.Marshal(v)
	tmp := b.volumeMeta(ns, v.Name) + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("local backend: volume metadata: %w", err)
	}
	if err := os.Rename(tmp, b.volumeMeta(ns, v.Name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("local backend: volume metadata: %w", err)
	}
	return nil
}

// DeleteVolume implements spawner.VolumeStore.
func (b *Backend) DeleteVolume(ctx context.Context, ns, name string) error {
	if err := checkKey(store.Key{Namespace: ns, Name: name}); err != nil {
		return err
	}
	dir := b.VolumeDir(ns, name)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local backend: volume %s/%s: %w", ns, name, store.ErrNotFound)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("local backend: delete volume %s/%s: %w", ns, name, err)
	}
	if err := os.Remove(b.volumeMeta(ns, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local backend: delete volume %s/%s: %w", ns, name, err)
	}
	return nil
}

// homeOf is the server's home folder: its workspace volume's folder, or
// <DataDir>/homes/<ns>/<server> for a spec without a workspace.
func (b *Backend) homeOf(srv store.Server) string {
	if w := srv.Spec.Workspace; w != nil && w.Name != "" {
		return b.VolumeDir(srv.Namespace, w.Name)
	}
	return b.HomeDir(srv.Key())
}

// linkVolumes makes the data and configuration volumes reachable from the
// home folder: a volume mounted at /home/jovyan/vol-1 is the symbolic link
// ~/vol-1, one mounted elsewhere is ~/<last element of its path>. It works
// in the home folder as the account. What cannot be linked is reported
// through progress and skipped.
func (b *Backend) linkVolumes(srv store.Server, home string, progress func(store.Event)) error {
	var warnings []string
	err := b.acct.do(func() error {
		warnings = b.linkEach(srv, home)
		return nil
	})
	for _, msg := range warnings {
		progress(store.Event{Type: store.EventWarning, Reason: "VolumeNotLinked", Message: msg})
	}
	return err
}

// linkEach links every volume and returns what it could not link.
func (b *Backend) linkEach(srv store.Server, home string) []string {
	var warnings []string
	warn := func(msg string) { warnings = append(warnings, msg) }
	for _, dv := range slices.Concat(srv.Spec.DataVolumes, srv.Spec.ExtraVolumes) {
		target := b.VolumeDir(srv.Namespace, dv.Name)
		if checkKey(store.Key{Namespace: srv.Namespace, Name: dv.Name}) != nil {
			warn(fmt.Sprintf("volume %q has an unusable name", dv.Name))
			continue
		}
		if _, err := os.Stat(target); err != nil {
			warn(fmt.Sprintf("volume %s does not exist", dv.Name))
			continue
		}
		rel := linkName(dv.MountPath)
		if rel == "" {
			warn(fmt.Sprintf("volume %s: no folder of the home for %s", dv.Name, dv.MountPath))
			continue
		}
		if err := replaceLink(target, filepath.Join(home, rel)); err != nil {
			warn(fmt.Sprintf("volume %s at ~/%s: %v", dv.Name, rel, err))
		}
	}
	return warnings
}

// linkName is where, relative to the home folder, a mount path is linked;
// "" when there is no such place.
func linkName(mountPath string) string {
	rel, under := strings.CutPrefix(mountPath, form.HomeDir+"/")
	if !under {
		rel = path.Base(mountPath)
	}
	rel = filepath.FromSlash(rel)
	if !filepath.IsLocal(rel) || rel == "." {
		return ""
	}
	return rel
}

// replaceLink points link at target, replacing an older link but never a
// file or folder of the user's.
func replaceLink(target, link string) error {
	if fi, err := os.Lstat(link); err == nil {
		if fi.Mode()&fs.ModeSymlink == 0 {
			return errors.New("a file or folder of that name is in the way")
		}
		if err := os.Remove(link); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(link), ownedMode); err != nil {
		return err
	}
	return os.Symlink(target, link)
}
