package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux build that matters).
const clockTick = 10 * time.Millisecond

// procStat is what /proc/<pid>/stat says about a process.
type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime
	rss  int64         // resident set, bytes
}

func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	// The command name may hold spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("process %d: malformed stat %q", pid, raw)
	}
	f := strings.Fields(string(raw[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("process %d: short stat %q", pid, raw)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k-3], 10, 64); return v }
	return procStat{
		ppid: int(n(4)),
		cpu:  time.Duration(n(14)+n(15)) * clockTick,
		rss:  n(24) * int64(os.Getpagesize()),
	}, nil
}

// procGroup is a process and the children it had when it was found (the
// workers of nginx's master): CPU and memory are summed over all of them.
type procGroup []int

// withChildren returns pid and its current children.
func withChildren(pid int) procGroup {
	g := procGroup{pid}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil || child == pid {
			continue
		}
		if st, err := readProcStat(child); err == nil && st.ppid == pid {
			g = append(g, child)
		}
	}
	return g
}

// sample sums CPU time and RSS over the group.
func (g procGroup) sample() (cpu time.Duration, rss int64, err error) {
	for _, pid := range g {
		st, err := readProcStat(pid)
		if err != nil {
			return 0, 0, err
		}
		cpu += st.cpu
		rss += st.rss
	}
	return cpu, rss, nil
}

// selfCPU is this process's user and system CPU time: the load generator's.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// wantFiles is the open-files limit the bench asks for when it may raise
// the hard limit (as root): enough for 10,000 idle websockets through a
// proxy, which holds two descriptors for each.
const wantFiles = 1 << 16

// raiseFileLimit lifts the limit on open files, for this process and the
// processes it starts, to wantFiles when it may raise the hard limit, else
// the soft limit to the hard one, and returns the new limit.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("open files limit: %w", err)
	}
	if l.Max < wantFiles {
		raised := syscall.Rlimit{Cur: wantFiles, Max: wantFiles}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return wantFiles, nil
		}
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("open files limit: %w", err)
	}
	return l.Cur, nil
}
