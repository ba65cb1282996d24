package sockio

import (
	"syscall"
	"testing"
)

// TestSetsockoptInt: an option set raw reads back (TCP_NODELAY, which Go
// sets on every TCP connection, turned off and on again).
func TestSetsockoptInt(t *testing.T) {
	_, nc, _ := pair(t)
	raw, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{0, 1} {
		var got int
		var serr syscall.Errno
		var gerr error
		_ = raw.Control(func(fd uintptr) {
			serr = SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, want)
			got, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
		})
		if serr != 0 || gerr != nil || (got != 0) != (want != 0) {
			t.Errorf("TCP_NODELAY set to %d: %v, reads back %d (%v)", want, serr, got, gerr)
		}
	}
}
