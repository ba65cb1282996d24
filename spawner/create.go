package spawner

import (
	"context"
	"errors"
	"fmt"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// launchAttempts bounds the retries of a generated name that is taken.
const launchAttempts = 8

// Create validates the form, checks the namespace's limits, and stores the
// server Queued: its start runs in the background. A form error is a
// *FieldError (ErrInvalidSpec; store.ErrConflict with code "name.taken";
// ErrLimitReached or ErrOverLimit for a limit). When Create fails, nothing
// is left: no record, no volume.
func (m *Manager) Create(ctx context.Context, ns string, who form.Requester, f form.Form) (store.Server, error) {
	if err := m.quotas.For(ns).CheckForm(ns, f); err != nil {
		return store.Server{}, err
	}
	spec, err := form.BuildSpec(m.cfg, who, f)
	if err != nil {
		return store.Server{}, err
	}
	return m.create(ctx, ns, f.Name, spec)
}

// Launch is the one-click start of an image (the requester's default image
// when imageID is empty): the namespace's stopped (or failed) server of
// that image, the one stopped last, starts again with its volumes; without
// one, Launch is LaunchNew.
func (m *Manager) Launch(ctx context.Context, ns string, who form.Requester, imageID string) (store.Server, error) {
	im, err := m.cfg.LaunchImage(who, imageID)
	if err != nil {
		return store.Server{}, err
	}
	srvs, err := m.List(ctx, ns)
	if err != nil {
		return store.Server{}, err
	}
	if s, ok := lastStopped(srvs, im.ID); ok {
		return m.Start(ctx, ns, s.Name)
	}
	return m.LaunchNew(ctx, ns, who, im.ID)
}

// lastStopped is the server of the catalogue image imageID stopped last
// among srvs.
func lastStopped(srvs []store.Server, imageID string) (store.Server, bool) {
	var last store.Server
	found := false
	for _, s := range srvs {
		if s.Spec.Image != imageID || s.Spec.CustomImage != "" {
			continue
		}
		if s.Phase != store.PhaseStopped && s.Phase != store.PhaseFailed {
			continue
		}
		if !found || s.StoppedAt.After(last.StoppedAt) {
			last, found = s, true
		}
	}
	return last, found
}

// LaunchNew is the one-click creation: a new server of the image (the
// requester's default image when imageID is empty) with every default and
// a generated name "<image>-<5 letters or digits>".
func (m *Manager) LaunchNew(ctx context.Context, ns string, who form.Requester, imageID string) (store.Server, error) {
	im, err := m.cfg.LaunchImage(who, imageID)
	if err != nil {
		return store.Server{}, err
	}
	imageID = im.ID
	for range launchAttempts {
		f := form.Form{Name: form.GenerateName(imageID), Image: imageID}
		spec, err := form.BuildSpec(m.cfg, who, f)
		if err != nil {
			return store.Server{}, err
		}
		srv, err := m.create(ctx, ns, f.Name, spec)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return srv, err
	}
	return store.Server{}, fmt.Errorf("launch %s in %s: no free name after %d tries: %w", imageID, ns, launchAttempts, store.ErrConflict)
}

// create records a new server Queued after checking the namespace's
// limits and the server's volumes and creating its new ones, all under the
// namespace's lock: two creates on any replicas cannot both take the last
// place. New volumes are created before the record, so that a server is
// never recorded without its volumes; if the record cannot be written they
// are deleted again.
func (m *Manager) create(ctx context.Context, ns, name string, spec store.Spec) (store.Server, error) {
	if _, err := m.st.GetServer(ctx, ns, name); err == nil {
		return store.Server{}, form.NameTaken(name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Server{}, fmt.Errorf("create server %s/%s: %w", ns, name, err)
	}
	q := m.quotas.For(ns)
	var srv store.Server
	locked := q.CountsServers() || m.hasVolumes() && len(form.VolumeRefs(spec)) > 0
	err := m.withNamespaceLock(ctx, ns, locked, func() error {
		list := &serverList{st: m.st, ns: ns}
		if err := m.checkCreate(ctx, list, q, spec); err != nil {
			return err
		}
		if err := m.checkVolumes(ctx, list, name, spec, true); err != nil {
			return err
		}
		created, err := m.createVolumes(ctx, ns, spec)
		if err != nil {
			return err
		}
		now := m.now()
		srv, err = m.st.CreateServer(ctx, store.Server{
			Namespace: ns, Name: name, Phase: store.PhaseQueued, Owner: m.owner,
			Message: sayQueued.Text, MessageCode: sayQueued.Code,
			Spec: spec, CreatedAt: now, UpdatedAt: now,
		})
		if err != nil {
			m.deleteVolumes(ns, created)
		}
		return err
	})
	var fe *form.FieldError
	if errors.As(err, &fe) {
		return store.Server{}, err
	}
	if errors.Is(err, store.ErrConflict) {
		return store.Server{}, form.NameTaken(name)
	}
	if err != nil {
		return store.Server{}, fmt.Errorf("create server %s/%s: %w", ns, name, err)
	}
	m.say(ctx, srv.Key(), store.EventNormal, "Created", Say("event.created", "server created with image "+imageLabel(spec), "image", imageLabel(spec)))
	m.say(ctx, srv.Key(), store.EventNormal, "Queued", sayQueued)
	m.enqueue(ctx, srv)
	return srv, nil
}

func imageLabel(spec store.Spec) string {
	if spec.CustomImage != "" {
		return spec.CustomImage
	}
	return spec.Image
}
