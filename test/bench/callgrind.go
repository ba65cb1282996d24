package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Instruction counts. CPU time per request moves with the machine's load;
// the instructions a proxy runs per request do not. With -callgrind DIR the
// tool starts spawnhub and nginx under valgrind's callgrind (the other
// targets as usual), zeroes their counters when the measured GET window
// opens and dumps them when it closes: the proxy's user-space instructions
// per request, beside its CPU time. Kernel work (the syscalls) is not in
// the count. Everything runs many times slower under valgrind: use it with
// -idle 0 and few -echoes.

// callgrindDir is where callgrind writes its counts; empty: no callgrind.
var callgrindDir string

// instrumented is the command line and environment that run name's argv
// under callgrind when callgrindDir is set.
func instrumented(name string, argv []string) ([]string, []string) {
	if callgrindDir == "" || (name != "spawnhub" && name != "nginx") {
		return argv, nil
	}
	out := filepath.Join(callgrindDir, name+".%p")
	wrapped := append([]string{"valgrind", "--tool=callgrind", "--callgrind-out-file=" + out}, argv...)
	// Go's preemption signals trip callgrind; goroutines still yield at calls.
	return wrapped, []string{"GODEBUG=asyncpreemptoff=1"}
}

// nginxMaster is nginx's master_process setting: under callgrind, off (one
// process serves), since callgrind_control cannot reach forked workers.
func nginxMaster() string {
	if callgrindDir == "" {
		return "on"
	}
	return "off"
}

// zeroInstructions resets the counts of g's processes.
func zeroInstructions(g procGroup) error {
	for _, pid := range g {
		if err := callgrindControl("-z", pid); err != nil {
			return err
		}
	}
	return nil
}

// instructions dumps the counts of g's processes since they were zeroed and
// returns their sum. Each process is dumped once (one GET window).
func instructions(g procGroup) (int64, error) {
	var sum int64
	for _, pid := range g {
		if err := callgrindControl("-d", pid); err != nil {
			return 0, err
		}
		dumps, _ := filepath.Glob(filepath.Join(callgrindDir, fmt.Sprintf("*.%d.*", pid)))
		if len(dumps) == 0 {
			return 0, fmt.Errorf("callgrind: no dump for pid %d", pid)
		}
		n, err := dumpTotal(dumps[len(dumps)-1])
		if err != nil {
			return 0, err
		}
		sum += n // the dump stays, for callgrind_annotate
	}
	return sum, nil
}

func callgrindControl(op string, pid int) error {
	out, err := exec.Command("callgrind_control", op, strconv.Itoa(pid)).CombinedOutput()
	if err == nil && strings.Contains(string(out), "Error:") { // it exits 0 anyway
		err = errors.New("failed")
	}
	if err != nil {
		return fmt.Errorf("callgrind_control %s %d: %w: %s", op, pid, err, out)
	}
	return nil
}

// dumpTotal reads the instruction total of a callgrind dump.
func dumpTotal(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("callgrind: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "totals: "); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("callgrind: no totals in %s", path)
}
