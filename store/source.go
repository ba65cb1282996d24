package store

import "strings"

// KernelSource is SourceKernel naming the kernel: "kernel:python3", or
// "kernel" when the name is not known.
func KernelSource(name string) string {
	if name == "" {
		return SourceKernel
	}
	return SourceKernel + ":" + name
}

// SplitSource splits an activity source into what was done (a Source…)
// and what it names, if anything: "kernel:python3" is "kernel", "python3".
func SplitSource(s string) (kind, detail string) {
	kind, detail, _ = strings.Cut(s, ":")
	return kind, detail
}
