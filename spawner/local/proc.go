package local

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// instanceOf returns "<pid>:<start time>", the start time being field 22 of
// /proc/<pid>/stat (clock ticks since boot), so that a recycled pid does not
// pass for the process.
func instanceOf(pid int) (string, error) {
	start, _, err := procStat(pid)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(pid) + ":" + start, nil
}

func parseInstance(inst string) (pid int, start string, err error) {
	p, start, ok := strings.Cut(inst, ":")
	pid, perr := strconv.Atoi(p)
	if !ok || perr != nil || pid <= 0 || start == "" {
		return 0, "", fmt.Errorf("local backend: bad instance id %q", inst)
	}
	return pid, start, nil
}

// procStat returns the start time and state of a process.
func procStat(pid int) (start string, state string, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", "", errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 20 {
		return "", "", errors.New("unexpected /proc stat format")
	}
	return f[19], f[0], nil
}

// processAlive reports whether pid is still the process that started at
// start and has not exited (a zombie counts as gone).
func processAlive(pid int, start string) bool {
	s, state, err := procStat(pid)
	return err == nil && s == start && state != "Z" && state != "X"
}

// signalGroup sends sig to the process group led by pid; a group that is
// gone is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
