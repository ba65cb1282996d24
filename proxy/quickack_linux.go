package proxy

import (
	"syscall"

	"github.com/spawnhub/spawnhub/proxy/sockio"
)

const quickAckSupported = true

// setQuickAck leaves delayed-ACK mode on the socket fd until the kernel
// enters it again.
func setQuickAck(fd uintptr) {
	_ = sockio.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}
