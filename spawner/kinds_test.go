package spawner

import (
	"io"
	"log/slog"
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// TestRouteCarriesTheKindsPresentation: what the proxy needs for an
// RStudio server reaches the route it reads, whatever the backend said.
func TestRouteCarriesTheKindsPresentation(t *testing.T) {
	cfg := testConfig()
	cfg.Images = append(cfg.Images, form.Image{ID: "rstudio", Kind: form.KindRStudio, Command: demoCommand})
	st, b := memory.New(), newFake()
	m := NewManager(st, b, cfg, WithOwner("r1"), withFakeCapabilities(b), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(func() { m.shutdown(); st.Close() })
	fx := &fixture{m: m, st: st, b: b}

	srv, err := m.Create(ctx, "ns", form.Requester{UserID: "alice"}, form.Form{Name: "rs", Image: "rstudio"})
	if err != nil {
		t.Fatal(err)
	}
	<-b.started
	b.release <- nil
	fx.settle()
	route, err := st.GetRoute(ctx, srv.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Spec.StripPrefix || !route.StripPrefix || !route.RewriteRedirects || route.ResponseTimeout == 0 ||
		route.Headers["X-Rstudio-Root-Path"] != "/notebook/ns/rs/" {
		t.Errorf("spec strips %v; route %+v; want the rstudio profile for /notebook/ns/rs/", srv.Spec.StripPrefix, route)
	}
	if got := fx.get(t, "rs").Phase; got != store.PhaseRunning {
		t.Errorf("phase = %s, want running", got)
	}
}
