//go:build race || !linux

package sockio

import (
	"errors"
	"syscall"
)

// Under the race detector, the system calls go through package syscall,
// which tells the detector that what one goroutine writes to a socket
// happens before what another reads from one (as net.Conn's calls do):
// raw calls would hide that, and report races that are none. Off Linux
// they do too.

func rawRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return max(n, 0), errnoOf(err)
}

func rawWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return max(n, 0), errnoOf(err)
}

func setsockoptInt(fd uintptr, level, opt, value int) syscall.Errno {
	return errnoOf(syscall.SetsockoptInt(int(fd), level, opt, value))
}

func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if err != nil && !errors.As(err, &errno) {
		return syscall.EIO
	}
	return errno
}
