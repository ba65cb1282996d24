package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// TestServerViewShowsTheFormNotTheSpec: what a configuration adds (its
// environment, labels, shared volumes) and the container image behind an
// image id never leave the server; what the user chose does, in the
// form's shape.
func TestServerViewShowsTheFormNotTheSpec(t *testing.T) {
	spec, err := form.BuildSpec(form.Config{
		Images: []form.Image{{ID: "lab", Kind: form.KindJupyter, Container: "registry.internal/lab:secret-tag"}},
		Configurations: []form.Configuration{{ID: "db", Env: map[string]string{"DB_PASSWORD": "hunter2"},
			Labels: map[string]string{"team": "hidden-label"}, Volumes: []form.ConfigurationVolume{{Name: "shared-secret", MountPath: "/srv/shared"}}}},
		Limits: form.Limits{WorkspaceSize: form.Range{Default: "4Gi"}},
	}, form.Requester{}, form.Form{Name: "lab", Image: "lab", Configurations: []string{"db"},
		DataVolumes: []form.DataVolumeForm{{Existing: "survey", MountPath: "/home/jovyan/survey"}}})
	if err != nil {
		t.Fatal(err)
	}
	v := (&Web{}).view(context.Background(), store.Server{Namespace: "alice", Name: "lab", Phase: store.PhaseStopped, Spec: spec})
	raw, _ := json.Marshal(v)
	for _, secret := range []string{"hunter2", "DB_PASSWORD", "hidden-label", "shared-secret", "registry.internal", "env", "labels", "extraVolumes", "containerImage"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("server JSON shows %q: %s", secret, raw)
		}
	}
	var got struct {
		Spec form.Form `json:"spec"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	f := got.Spec
	if f.Image != "lab" || len(f.Configurations) != 1 || f.Configurations[0] != "db" ||
		f.Workspace == nil || f.Workspace.New == nil || f.Workspace.New.Name != "lab-workspace" || f.Workspace.New.Size != "4Gi" ||
		len(f.DataVolumes) != 1 || f.DataVolumes[0].Existing != "survey" || f.DataVolumes[0].MountPath != "/home/jovyan/survey" {
		t.Errorf("spec = %s, want the form: image lab, configuration db, a new 4Gi workspace, the existing survey volume", raw)
	}
}

// countingStore counts the activity reads of a list.
type countingStore struct {
	*memory.Store
	batches int
}

func (c *countingStore) Activities(ctx context.Context, keys []store.Key) (map[store.Key]store.Activity, error) {
	c.batches++
	return c.Store.Activities(ctx, keys)
}

// TestListReadsActivityOnce: a list of servers reads their activity in one
// batch, not once per server, and shows it on the running ones only.
func TestListReadsActivityOnce(t *testing.T) {
	st := &countingStore{Store: memory.New()}
	now := time.UnixMilli(time.Now().UnixMilli())
	var servers []store.Server
	marks := map[store.Key]time.Time{}
	for i := range 5 {
		s := store.Server{Namespace: "alice", Name: fmt.Sprintf("s%d", i), Phase: store.PhaseRunning}
		if i == 4 {
			s.Phase = store.PhaseStopped
		}
		servers = append(servers, s)
		marks[s.Key()] = now
	}
	if err := st.MarkActivity(t.Context(), marks); err != nil {
		t.Fatal(err)
	}
	got := (&Web{store: st}).views(t.Context(), servers)
	if st.batches != 1 {
		t.Errorf("activity reads for a list of 5 = %d, want 1", st.batches)
	}
	for _, v := range got.Items {
		if running := v.Phase == store.PhaseRunning; (v.LastActivity != nil) != running || running && !v.LastActivity.Equal(now) {
			t.Errorf("%s (%s) lastActivity = %v, want %v only when running", v.Name, v.Phase, v.LastActivity, now)
		}
	}
}

// desktopServers is fakeServers with a catalogue holding a noVNC desktop.
type desktopServers struct{ fakeServers }

func (desktopServers) Config() form.Config {
	return form.Config{Images: []form.Image{{ID: "desktop", Kind: form.KindDesktop, Command: []string{"desk"},
		StripPrefix: true, ConnectPath: "vnc.html?autoconnect=1&path={{.Prefix}}websockify"}}}
}

func TestConnectURLFollowsTheImage(t *testing.T) {
	w := &Web{servers: &desktopServers{}}
	for _, tt := range []struct{ image, want string }{
		{"desktop", "/notebook/alice/desk/vnc.html?autoconnect=1&path=notebook/alice/desk/websockify"},
		{"gone-from-catalogue", "/notebook/alice/desk/"},
	} {
		v := w.viewWith(store.Server{Namespace: "alice", Name: "desk", Spec: store.Spec{Image: tt.image}}, nil)
		if v.ConnectURL != tt.want {
			t.Errorf("image %s: connectURL = %q, want %q", tt.image, v.ConnectURL, tt.want)
		}
	}
}
