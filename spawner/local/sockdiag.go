package local

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// Listening sockets come from the kernel's sock_diag netlink interface
// (what ss uses), asked for listening TCP sockets only: /proc/net/tcp
// lists every socket, and on a busy machine (thousands in TIME_WAIT) it
// costs tens of milliseconds to read.

// Netlink inet_diag constants and layout (linux/inet_diag.h).
const (
	sockDiagByFamily = 20      // SOCK_DIAG_BY_FAMILY
	tcpListenState   = 10      // TCP_LISTEN
	inetDiagReqLen   = 56      // struct inet_diag_req_v2
	inetDiagMsgLen   = 72      // struct inet_diag_msg
	diagSportOffset  = 4       // id.idiag_sport (big-endian)
	diagSrcOffset    = 8       // id.idiag_src (16 bytes)
	diagInodeOffset  = 68      // idiag_inode
	diagReadBuffer   = 1 << 15 // bytes per receive
)

// errNoSockDiag: the kernel offers no sock_diag (listening sockets are then
// read from /proc/net/tcp).
var errNoSockDiag = errors.New("no sock_diag")

// diagListeners calls fn for every listening TCP socket of family
// (AF_INET or AF_INET6).
func diagListeners(family uint8, fn func(ip net.IP, port int, inode string)) error {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return fmt.Errorf("%w: %v", errNoSockDiag, err)
	}
	defer syscall.Close(fd)
	if err := syscall.Sendto(fd, diagRequest(family), 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fmt.Errorf("%w: %v", errNoSockDiag, err)
	}
	buf := make([]byte, diagReadBuffer)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("sock_diag: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("sock_diag: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return nil
			case syscall.NLMSG_ERROR:
				return fmt.Errorf("%w: netlink error", errNoSockDiag)
			case sockDiagByFamily:
				diagMessage(family, m.Data, fn)
			}
		}
	}
}

// diagRequest is a dump request for the listening TCP sockets of family.
func diagRequest(family uint8) []byte {
	req := make([]byte, syscall.NLMSG_HDRLEN+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	body := req[syscall.NLMSG_HDRLEN:]
	body[0], body[1] = family, syscall.IPPROTO_TCP
	ne.PutUint32(body[4:], 1<<tcpListenState)
	return req
}

// diagMessage reads one struct inet_diag_msg.
func diagMessage(family uint8, d []byte, fn func(ip net.IP, port int, inode string)) {
	if len(d) < inetDiagMsgLen {
		return
	}
	port := int(binary.BigEndian.Uint16(d[diagSportOffset:]))
	size := net.IPv4len
	if family == syscall.AF_INET6 {
		size = net.IPv6len
	}
	ip := net.IP(append([]byte(nil), d[diagSrcOffset:diagSrcOffset+size]...))
	fn(ip, port, strconv.FormatUint(uint64(binary.NativeEndian.Uint32(d[diagInodeOffset:])), 10))
}
