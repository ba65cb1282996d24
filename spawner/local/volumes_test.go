package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

func TestVolumeStore(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, dataDir(t))
	if vols, err := b.ListVolumes(ctx, "alice"); err != nil || len(vols) != 0 {
		t.Fatalf("ListVolumes before any = %v, %v; want none", vols, err)
	}
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"data", "alpha"} {
		if _, err := b.CreateVolume(ctx, "alice", spawner.Volume{Name: name, Size: "8Gi", CreatedAt: created}); err != nil {
			t.Fatalf("CreateVolume(%s): %v", name, err)
		}
	}
	if _, err := b.CreateVolume(ctx, "alice", spawner.Volume{Name: "data", Size: "1Gi"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateVolume(data) again: %v, want ErrConflict", err)
	}
	if _, err := b.CreateVolume(ctx, "alice", spawner.Volume{Name: "../evil"}); err == nil {
		t.Error("CreateVolume(../evil) succeeded, want an error")
	}
	vols, err := b.ListVolumes(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(vols) != 2 || vols[0].Name != "alpha" || vols[1].Name != "data" || vols[1].Size != "8Gi" || !vols[1].CreatedAt.Equal(created) {
		t.Errorf("ListVolumes = %+v, want alpha and data (8Gi, %v)", vols, created)
	}
	if other, _ := b.ListVolumes(ctx, "bob"); len(other) != 0 {
		t.Errorf("bob's volumes = %v, want none", other)
	}
	if err := b.DeleteVolume(ctx, "alice", "data"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.VolumeDir("alice", "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("volume folder after delete: %v, want gone", err)
	}
	if err := b.DeleteVolume(ctx, "alice", "data"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteVolume(data) again: %v, want ErrNotFound", err)
	}
}

// TestStartWithVolumes runs a real server whose home is its workspace
// volume and whose data and configuration volumes are links in it.
func TestStartWithVolumes(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, dataDir(t))
	for _, name := range []string{"ws", "data", "shared"} {
		if _, err := b.CreateVolume(ctx, "alice", spawner.Volume{Name: name, Size: "4Gi"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := server("vols", "demo")
	srv.Spec.Workspace = &store.Volume{Name: "ws"}
	srv.Spec.DataVolumes = []store.DataVolume{
		{Volume: store.Volume{Name: "data"}, MountPath: "/home/jovyan/vol-1"},
		{Volume: store.Volume{Name: "missing"}, MountPath: "/home/jovyan/vol-2"},
	}
	srv.Spec.ExtraVolumes = []store.DataVolume{{Volume: store.Volume{Name: "shared"}, MountPath: "/mnt/shared"}}
	srv.Spec.Env = []store.EnvVar{{Name: "FROM_CONFIGURATION", Value: "yes"}}
	var warnings []string
	_, inst, err := b.Start(ctx, srv, image(srv.Spec.Image), "tok", func(e store.Event) {
		if e.Type == store.EventWarning {
			warnings = append(warnings, e.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Instance = inst
	t.Cleanup(func() { b.Stop(context.Background(), srv) })

	home := b.VolumeDir("alice", "ws")
	for link, want := range map[string]string{"vol-1": b.VolumeDir("alice", "data"), "shared": b.VolumeDir("alice", "shared")} {
		if got, err := os.Readlink(filepath.Join(home, link)); err != nil || got != want {
			t.Errorf("~/%s links to %q (%v), want %q", link, got, err, want)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "missing") {
		t.Errorf("warnings = %q, want one about the missing volume", warnings)
	}
	pid, _, _ := parseInstance(inst)
	environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(string(environ), "\x00")
	for _, want := range []string{"HOME=" + home, "LANG=fr_CA.UTF-8", "KF_LANG=fr", "FROM_CONFIGURATION=yes"} {
		if !slices.Contains(env, want) {
			t.Errorf("server environment lacks %s", want)
		}
	}
}

func TestLinkName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/home/jovyan/vol-1", "vol-1"},
		{"/home/jovyan/data/set-1", "data/set-1"},
		{"/mnt/shared", "shared"},
		{"/home/jovyan", "jovyan"},
	} {
		if got := linkName(tt.in); got != filepath.FromSlash(tt.want) {
			t.Errorf("linkName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
