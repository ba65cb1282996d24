package desktop

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestXauthorityHoldsOneWildCookie(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Xauthority")
	if err := writeXauthority(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	name := []byte("\x00\x12MIT-MAGIC-COOKIE-1\x00\x10")
	if !bytes.HasPrefix(raw, []byte{0xff, 0xff, 0, 0, 0, 0}) || !bytes.Contains(raw, name) || len(raw) != 6+len(name)+16 {
		t.Errorf("Xauthority = %x, want one FamilyWild entry with a 16-byte MIT-MAGIC-COOKIE-1", raw)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("Xauthority mode = %o, want 600", fi.Mode().Perm())
	}
	other := filepath.Join(t.TempDir(), "Xauthority")
	writeXauthority(other)
	if again, _ := os.ReadFile(other); bytes.Equal(again, raw) {
		t.Error("two Xauthority files hold the same cookie")
	}
}

func TestWebRootSendsTheServerURLOnToNoVNC(t *testing.T) {
	novnc := t.TempDir()
	os.WriteFile(filepath.Join(novnc, "vnc.html"), []byte("noVNC"), 0o644)
	os.WriteFile(filepath.Join(novnc, "index.html"), []byte("listing"), 0o644)
	dir := filepath.Join(t.TempDir(), "web")
	if err := writeWebRoot(dir, novnc, prefixOf("/notebook/alice/desk")); err != nil {
		t.Fatal(err)
	}
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if !strings.Contains(string(index), "url=vnc.html?autoconnect=1&amp;resize=remote&amp;path=notebook/alice/desk/websockify") {
		t.Errorf("index.html = %s, want a refresh to vnc.html with the server's websocket path", index)
	}
	if page, _ := os.ReadFile(filepath.Join(dir, "vnc.html")); string(page) != "noVNC" {
		t.Errorf("vnc.html = %q, want noVNC's", page)
	}
	if err := writeWebRoot(dir, novnc, "notebook/alice/desk/"); err != nil { // a restart finds the links there
		t.Errorf("second writeWebRoot: %v", err)
	}
}

func TestDesktopProcessesDoNotGetTheToken(t *testing.T) {
	env := without([]string{"PATH=/bin", "JUPYTER_TOKEN=secret", "DISPLAY=:9", "HOME=/h"}, "JUPYTER_TOKEN", "DISPLAY")
	if !slices.Equal(env, []string{"PATH=/bin", "HOME=/h"}) {
		t.Errorf("without() = %v, want PATH and HOME only", env)
	}
}

func TestMainRefusesWithoutToken(t *testing.T) {
	err := Main(t.Context(), []string{"--listen", "127.0.0.1:0"}, []string{"HOME=" + t.TempDir()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "JUPYTER_TOKEN") {
		t.Errorf("Main without a token = %v, want an error naming the variable", err)
	}
}
