//go:build !linux

package proxy

// TCP_QUICKACK is Linux's; elsewhere connections keep the kernel's ACKs.
const quickAckSupported = false

func setQuickAck(uintptr) {}
