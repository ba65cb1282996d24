package local

import (
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
)

func TestDefaultImagesValid(t *testing.T) {
	if err := (form.Config{Images: DefaultImages()}).Validate(); err != nil {
		t.Errorf("Validate(default images) = %v, want nil", err)
	}
}

func TestAvailable(t *testing.T) {
	if !Available(form.Image{Command: DemoCommand}) {
		t.Error("demo image Available() = false, want true")
	}
	if Available(form.Image{Command: []string{"/nonexistent/prog"}}) {
		t.Error("missing program Available() = true, want false")
	}
	if Available(form.Image{Command: []string{"/usr/bin/python3", "-m", "no_such_module_xyz"}}) {
		t.Error("missing python module Available() = true, want false")
	}
}
