package form

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func TestKindProfilesPresentRoutes(t *testing.T) {
	key := store.Key{Namespace: "alice", Name: "stats"}
	base := store.Route{Target: "http://10.0.0.7:8888", Token: "t", Namespace: "alice"}
	for _, tt := range []struct {
		kind string
		want store.Route
	}{
		{KindJupyter, base},
		{KindRStudio, store.Route{Target: base.Target, Token: "t", Namespace: "alice", StripPrefix: true,
			Headers:          map[string]string{"X-Rstudio-Root-Path": "/notebook/alice/stats/", "X-Forwarded-Prefix": "/notebook/alice/stats"},
			RewriteRedirects: true, ResponseTimeout: rstudioLongPoll}},
		{KindDesktop, store.Route{Target: base.Target, Token: "t", Namespace: "alice", StripPrefix: true,
			Headers: map[string]string{"X-Forwarded-Prefix": "/notebook/alice/stats"}, RewriteRedirects: true}},
		{KindSAS, store.Route{Target: base.Target, Token: "t", Namespace: "alice", RewriteRedirects: true}},
	} {
		got := Image{Kind: tt.kind}.Profile().Present(base, key)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Present = %+v, want %+v", tt.kind, got, tt.want)
		}
	}
}

func TestImageOverridesItsKind(t *testing.T) {
	no := false
	im := Image{Kind: KindRStudio, ReadyPath: "health", Proxy: ImageProxy{
		Prefix: PrefixKeep, RewriteRedirects: &no, ResponseTimeout: 10 * time.Minute,
		Headers: map[string]string{"x-forwarded-prefix": "", "X-Extra": "{base}x"},
	}}
	got := im.Profile()
	want := Profile{Headers: map[string]string{"X-Rstudio-Root-Path": "{base}", "X-Extra": "{base}x"},
		ResponseTimeout: 10 * time.Minute, ReadyPath: "health", Port: 8787}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Profile = %+v, want %+v", got, want)
	}
	if KindProfile(KindRStudio).Headers["X-Forwarded-Prefix"] == "" {
		t.Error("an image's override changed its kind's defaults")
	}
	if !(Image{Kind: KindJupyter, StripPrefix: true}).Profile().StripPrefix {
		t.Error("stripPrefix: true does not strip")
	}
}

func TestJupyterIsProbedWithoutToken(t *testing.T) {
	// notebook and jupyter_server answer GET <base>api with their version
	// and no authentication; api/status needs the token.
	if got := (Image{Kind: KindJupyter}).Profile().ReadyPath; got != "api" {
		t.Errorf("jupyter ReadyPath = %q, want api", got)
	}
}

func TestImageProxyValidation(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		proxy      ImageProxy
	}{
		{"prefix", "images[0].proxy.prefix", ImageProxy{Prefix: "drop"}},
		{"timeout", "images[0].proxy.responseTimeout", ImageProxy{ResponseTimeout: -time.Second}},
		{"credentials", "authorization", ImageProxy{Headers: map[string]string{"authorization": "x"}}},
		{"bad name", "a b", ImageProxy{Headers: map[string]string{"a b": "x"}}},
	} {
		c := Config{Images: []Image{{ID: "im", Kind: KindRStudio, Container: "r:1", Proxy: tt.proxy}}}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
}
