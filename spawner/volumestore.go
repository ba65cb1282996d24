package spawner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// VolumeInfo is a volume of a namespace as its users see it.
type VolumeInfo struct {
	Volume
	// MountedBy is the server that mounts the volume now (not stopped and
	// not failed); empty when the volume is free.
	MountedBy string `json:"mountedBy,omitempty"`
	// UsedBy lists every server whose spec names the volume, running or not.
	UsedBy []string `json:"usedBy,omitempty"`
}

// WithVolumeStore sets where volumes live. By default a backend that is a
// VolumeStore keeps them; without one, no volume exists and new volumes
// are only recorded in the spec.
func WithVolumeStore(vs VolumeStore) Option { return func(m *Manager) { m.vols = vs } }

// noVolumes is the VolumeStore of a backend without volumes.
type noVolumes struct{}

func (noVolumes) ListVolumes(context.Context, string) ([]Volume, error) { return nil, nil }
func (noVolumes) CreateVolume(_ context.Context, _ string, v Volume) (Volume, error) {
	return v, nil
}
func (noVolumes) DeleteVolume(_ context.Context, ns, name string) error {
	return fmt.Errorf("volume %s/%s: %w", ns, name, store.ErrNotFound)
}

// mounts returns, for each volume of the namespace that a server other
// than except mounts now (its phase is neither Stopped nor Failed), that
// server; and for every volume, the servers whose spec names it.
func (m *Manager) mounts(ctx context.Context, ns, except string) (mountedBy map[string]string, usedBy map[string][]string, err error) {
	srvs, err := m.st.ListServers(ctx, ns)
	if err != nil {
		return nil, nil, fmt.Errorf("list servers of %s: %w", ns, err)
	}
	mountedBy, usedBy = mountsIn(srvs, except)
	return mountedBy, usedBy, nil
}

// mountsIn is mounts over srvs, the namespace's servers.
func mountsIn(srvs []store.Server, except string) (mountedBy map[string]string, usedBy map[string][]string) {
	mountedBy, usedBy = map[string]string{}, map[string][]string{}
	for _, s := range srvs {
		if s.Name == except {
			continue
		}
		active := s.Phase != store.PhaseStopped && s.Phase != store.PhaseFailed
		for _, r := range form.VolumeRefs(s.Spec) {
			usedBy[r.Name] = append(usedBy[r.Name], s.Name)
			if active {
				mountedBy[r.Name] = s.Name
			}
		}
	}
	return mountedBy, usedBy
}

// hasVolumes reports whether volumes live somewhere (else the attach
// checks have nothing to look at).
func (m *Manager) hasVolumes() bool {
	_, none := m.vols.(noVolumes)
	return !none
}

// serverList lists a namespace's servers once, for every check of one
// locked section.
type serverList struct {
	st   Store
	ns   string
	srvs []store.Server
	done bool
}

func (l *serverList) get(ctx context.Context) ([]store.Server, error) {
	if l.done {
		return l.srvs, nil
	}
	srvs, err := l.st.ListServers(ctx, l.ns)
	if err != nil {
		return nil, fmt.Errorf("list servers of %s: %w", l.ns, err)
	}
	l.srvs, l.done = srvs, true
	return srvs, nil
}

// volumeSet returns the namespace's volumes by name.
func (m *Manager) volumeSet(ctx context.Context, ns string) (map[string]Volume, error) {
	vols, err := m.vols.ListVolumes(ctx, ns)
	if err != nil {
		return nil, fmt.Errorf("list volumes of %s: %w", ns, err)
	}
	out := make(map[string]Volume, len(vols))
	for _, v := range vols {
		out[v.Name] = v
	}
	return out, nil
}

// checkVolumes applies the attach rules to the spec of server name: a new
// volume's name is free (creating), every other volume exists, and none is
// mounted by another server that runs. At Start, creating is false: the
// server's new volumes were created with it and must exist too.
func (m *Manager) checkVolumes(ctx context.Context, list *serverList, name string, spec store.Spec, creating bool) error {
	refs := form.VolumeRefs(spec)
	if !m.hasVolumes() || len(refs) == 0 {
		return nil
	}
	have, err := m.volumeSet(ctx, list.ns)
	if err != nil {
		return err
	}
	srvs, err := list.get(ctx)
	if err != nil {
		return err
	}
	mountedBy, _ := mountsIn(srvs, name)
	for _, r := range refs {
		_, exists := have[r.Name]
		switch {
		case creating && r.New && exists:
			return form.VolumeTaken(r.Field, r.Name)
		case (!creating || !r.New) && !exists:
			return form.VolumeUnknown(r.Field, r.Name)
		case mountedBy[r.Name] != "":
			return form.VolumeMounted(r.Field, r.Name, mountedBy[r.Name])
		}
	}
	return nil
}

// createVolumes creates the spec's new volumes; on error it deletes the
// ones it created and returns the error.
func (m *Manager) createVolumes(ctx context.Context, ns string, spec store.Spec) ([]string, error) {
	var created []string
	for _, r := range form.VolumeRefs(spec) {
		if !r.New {
			continue
		}
		_, err := m.vols.CreateVolume(ctx, ns, Volume{Name: r.Name, Size: r.Size, CreatedAt: m.now()})
		if errors.Is(err, store.ErrConflict) {
			err = form.VolumeTaken(r.Field, r.Name)
		}
		if err != nil {
			m.deleteVolumes(ns, created)
			return nil, fmt.Errorf("create volume %s/%s: %w", ns, r.Name, err)
		}
		created = append(created, r.Name)
	}
	return created, nil
}

// deleteVolumes removes volumes created for a server that was not
// recorded; failures are only logged.
func (m *Manager) deleteVolumes(ns string, names []string) {
	ctx, cancel := m.writeCtx()
	defer cancel()
	for _, n := range names {
		if err := m.vols.DeleteVolume(ctx, ns, n); err != nil {
			m.log.Warn("volume not rolled back", "ns", ns, "volume", n, "err", err)
		}
	}
}

// Volumes lists the namespace's volumes with the servers that use them.
func (m *Manager) Volumes(ctx context.Context, ns string) ([]VolumeInfo, error) {
	vols, err := m.vols.ListVolumes(ctx, ns)
	if err != nil {
		return nil, fmt.Errorf("list volumes of %s: %w", ns, err)
	}
	mountedBy, usedBy, err := m.mounts(ctx, ns, "")
	if err != nil {
		return nil, err
	}
	out := make([]VolumeInfo, 0, len(vols))
	for _, v := range vols {
		out = append(out, VolumeInfo{Volume: v, MountedBy: mountedBy[v.Name], UsedBy: usedBy[v.Name]})
	}
	slices.SortFunc(out, func(a, b VolumeInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateVolume creates an empty data volume; size "" is the configured
// default. Errors are *FieldError on "name" or "size" ("volume.taken" is a
// store.ErrConflict; "quota.storage" is ErrLimitReached or ErrOverLimit).
// The storage limit is checked under the namespace's lock.
func (m *Manager) CreateVolume(ctx context.Context, ns, name, size string) (VolumeInfo, error) {
	size, err := m.cfg.Limits.CheckNewVolume(name, size)
	if err != nil {
		return VolumeInfo{}, err
	}
	q := m.quotas.For(ns)
	var v Volume
	err = m.withNamespaceLock(ctx, ns, q.StorageBytes() > 0, func() error {
		add := []form.VolumeRef{{Name: name, Size: size, New: true, Field: "size"}}
		if err := m.checkStorage(ctx, ns, q, nil, add); err != nil {
			return err
		}
		var err error
		v, err = m.vols.CreateVolume(ctx, ns, Volume{Name: name, Size: size, CreatedAt: m.now()})
		return err
	})
	var qe *form.FieldError
	if errors.As(err, &qe) {
		return VolumeInfo{}, err
	}
	if errors.Is(err, store.ErrConflict) {
		return VolumeInfo{}, form.VolumeTaken("name", name)
	}
	if err != nil {
		return VolumeInfo{}, fmt.Errorf("create volume %s/%s: %w", ns, name, err)
	}
	m.log.Info("volume created", "ns", ns, "volume", name, "size", size)
	return VolumeInfo{Volume: v}, nil
}

// DeleteVolume deletes a volume and its data. A volume a running server
// mounts is refused (a *FieldError "volume.mounted" naming the server, a
// store.ErrConflict); an unknown one is a store.ErrNotFound.
func (m *Manager) DeleteVolume(ctx context.Context, ns, name string) error {
	if !form.ValidVolumeName(name) {
		return fmt.Errorf("volume %s/%q: %w", ns, name, store.ErrNotFound)
	}
	err := m.withNamespaceLock(ctx, ns, true, func() error {
		mountedBy, _, err := m.mounts(ctx, ns, "")
		if err != nil {
			return err
		}
		if s := mountedBy[name]; s != "" {
			return form.VolumeMounted("name", name, s)
		}
		if err := m.vols.DeleteVolume(ctx, ns, name); err != nil {
			return fmt.Errorf("delete volume %s/%s: %w", ns, name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.log.Info("volume deleted", "ns", ns, "volume", name)
	return nil
}

// deleteOwnVolumes deletes the volumes created with a deleted server,
// except those another running server mounts now.
func (m *Manager) deleteOwnVolumes(ctx context.Context, srv store.Server) error {
	mountedBy, _, err := m.mounts(ctx, srv.Namespace, srv.Name)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range form.VolumeRefs(srv.Spec) {
		if !r.New || mountedBy[r.Name] != "" {
			continue
		}
		if err := m.vols.DeleteVolume(ctx, srv.Namespace, r.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete volume %s/%s: %w", srv.Namespace, r.Name, err))
		}
	}
	return errors.Join(errs...)
}
