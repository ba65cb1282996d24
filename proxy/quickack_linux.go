package proxy

import "syscall"

const quickAckSupported = true

// setQuickAck leaves delayed-ACK mode on the socket fd until the kernel
// enters it again.
func setQuickAck(fd uintptr) {
	_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}
