package store

import "testing"

func TestKernelSource(t *testing.T) {
	for _, name := range []string{"", "python3"} {
		kind, detail := SplitSource(KernelSource(name))
		if kind != SourceKernel || detail != name {
			t.Errorf("SplitSource(KernelSource(%q)) = %q, %q", name, kind, detail)
		}
	}
	if kind, detail := SplitSource(SourceMouse); kind != SourceMouse || detail != "" {
		t.Errorf("SplitSource(mouse) = %q, %q", kind, detail)
	}
}
