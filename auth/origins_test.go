package auth

import (
	"net/url"
	"testing"
)

func mustOrigins(t *testing.T, hub, ws string, same, loopback bool) *Origins {
	t.Helper()
	u, _ := url.Parse(hub)
	o, err := NewOrigins(u, ws, same, loopback)
	if err != nil {
		t.Fatalf("NewOrigins(%s, %s): %v", hub, ws, err)
	}
	return o
}

func TestClassify(t *testing.T) {
	prod := mustOrigins(t, "https://hub.example.org", "https://{ns}.nb.example.org", false, false)
	dev := mustOrigins(t, "http://127.0.0.1:8000", "http://{ns}.localhost:8000", false, true)
	single := mustOrigins(t, "https://hub.example.org", "https://nb.example.org", false, false)
	same := mustOrigins(t, "https://hub.example.org", "", true, false)
	for _, tt := range []struct {
		name   string
		o      *Origins
		host   string
		want   Place
		wantNS string
	}{
		{"hub", prod, "hub.example.org", PlaceHub, ""},
		{"hub with default port", prod, "hub.example.org:443", PlaceHub, ""},
		{"hub in upper case", prod, "HUB.example.org", PlaceHub, ""},
		{"workspace", prod, "alice.nb.example.org", PlaceWorkspace, "alice"},
		{"workspace upper case", prod, "Alice.NB.example.org", PlaceWorkspace, "alice"},
		{"two labels", prod, "a.b.nb.example.org", PlaceUnknown, ""},
		{"bare suffix", prod, "nb.example.org", PlaceUnknown, ""},
		{"bad label", prod, "-x.nb.example.org", PlaceUnknown, ""},
		{"rebinding", prod, "evil.example", PlaceUnknown, ""},
		{"loopback not the hub in production", prod, "127.0.0.1", PlaceUnknown, ""},
		{"suffix trick", prod, "alice.nb.example.org.evil.example", PlaceUnknown, ""},
		{"dev hub", dev, "127.0.0.1:8000", PlaceHub, ""},
		{"dev loopback alias", dev, "localhost:8000", PlaceHub, ""},
		{"dev ipv6 loopback", dev, "[::1]:8000", PlaceHub, ""},
		{"dev workspace", dev, "bob.localhost:8000", PlaceWorkspace, "bob"},
		{"dev workspace other port", dev, "bob.localhost:9000", PlaceUnknown, ""},
		{"dev rebinding", dev, "evil.example:8000", PlaceUnknown, ""},
		{"dev loopback without port", dev, "127.0.0.2", PlaceHub, ""},
		{"dev ipv6 loopback without port", dev, "[::1]", PlaceHub, ""},
		{"dev hex-looking name", dev, "cafe.bad:8000", PlaceUnknown, ""},
		{"dev other address", dev, "10.0.0.1:8000", PlaceUnknown, ""},
		{"single host", single, "nb.example.org", PlaceWorkspace, ""},
		{"single host subdomain", single, "alice.nb.example.org", PlaceUnknown, ""},
		{"same origin has no workspace host", same, "alice.nb.example.org", PlaceUnknown, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ns := tt.o.Classify(tt.host)
			if got != tt.want || ns != tt.wantNS {
				t.Errorf("Classify(%q) = %v %q, want %v %q", tt.host, got, ns, tt.want, tt.wantNS)
			}
		})
	}
	if got := prod.Workspace("alice"); got != "https://alice.nb.example.org" {
		t.Errorf("Workspace(alice) = %q", got)
	}
	if got := same.Workspace("alice"); got != "https://hub.example.org" {
		t.Errorf("same-origin Workspace(alice) = %q, want the hub", got)
	}
}

// A request to a workspace origin classifies its Host without allocating
// (an address parse error would be one per request).
func TestClassifyAllocatesNothing(t *testing.T) {
	dev := mustOrigins(t, "http://127.0.0.1:8000", "http://{ns}.localhost:8000", false, true)
	for _, host := range []string{"bob.localhost:8000", "127.0.0.1:8000", "evil.example"} {
		if n := testing.AllocsPerRun(100, func() { dev.Classify(host) }); n != 0 {
			t.Errorf("Classify(%q) allocates %v times", host, n)
		}
	}
}

func TestNewOriginsRefuses(t *testing.T) {
	hub, _ := url.Parse("https://hub.example.org")
	for _, ws := range []string{
		"", "ftp://{ns}.x.org", "https://{ns}.x.org/path", "https://x-{ns}.x.org", "https://{ns}x.org",
		"https://{user}.x.org", "https://hub.example.org", "http://{ns}.nb.example.org", "https://{ns}.example.org", "https://{ns}.x.org?a=1",
	} {
		if _, err := NewOrigins(hub, ws, false, false); err == nil {
			t.Errorf("NewOrigins(workspaceURL %q) accepted it", ws)
		}
	}
}
