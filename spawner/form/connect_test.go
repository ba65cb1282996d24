package form

import "testing"

func TestConnectPathFor(t *testing.T) {
	for _, tt := range []struct{ name, tmpl, want string }{
		{"none", "", ""},
		{"noVNC", "vnc.html?autoconnect=1&resize=remote&path={{.Prefix}}websockify",
			"vnc.html?autoconnect=1&resize=remote&path=notebook/alice/desk/websockify"},
		{"base URL", "lab?root={{.BaseURL}}", "lab?root=/notebook/alice/desk/"},
		{"absolute is refused", "{{.BaseURL}}tree", ""},
		{"other site is refused", "https://evil.example/", ""},
		{"scheme-relative is refused", "//evil.example/", ""},
		{"dot-dot is refused", "../other/", ""},
		{"unknown field is refused", "{{.Token}}", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im := Image{ConnectPath: tt.tmpl}
			if got := im.ConnectPathFor("/notebook/alice/desk/"); got != tt.want {
				t.Errorf("ConnectPathFor(%q) = %q, want %q", tt.tmpl, got, tt.want)
			}
		})
	}
}

func TestConnectPathValidated(t *testing.T) {
	for _, tt := range []struct {
		tmpl    string
		wantErr bool
	}{
		{"vnc.html?path={{.Prefix}}websockify", false},
		{"{{.Prefix", true},
		{"/elsewhere", true},
		{"http://127.0.0.1:1/", true},
	} {
		err := Image{ConnectPath: tt.tmpl}.validateConnectPath("images[0]")
		if (err != nil) != tt.wantErr {
			t.Errorf("validateConnectPath(%q) = %v, want error %v", tt.tmpl, err, tt.wantErr)
		}
	}
}
