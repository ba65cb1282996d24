package kubeenv

import "syscall"

// sysProcAttr has the kernel kill a child whose test binary dies without
// running its cleanups (a panic or `go test -timeout`), so no control
// plane outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
