package loadtest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ),
// 100 on every Linux platform Go supports.
const clockTicks = 100

// usage is what a process used so far: CPU time (user and system) and
// minor page faults, each a first touch of a page of memory (which the
// kernel zeroes, costly on virtual machines).
type usage struct {
	cpu    time.Duration
	faults int64
}

// procUsage returns what a process used so far.
func procUsage(pid int) (usage, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return usage{}, fmt.Errorf("loadtest: %w", err)
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis, the third. minflt is field 10, utime
	// and stime are fields 14 and 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return usage{}, fmt.Errorf("loadtest: /proc/%d/stat is short", pid)
	}
	var n [3]int64
	for i, s := range []string{f[7], f[11], f[12]} {
		if n[i], err = strconv.ParseInt(s, 10, 64); err != nil {
			return usage{}, fmt.Errorf("loadtest: /proc/%d/stat: %w", pid, err)
		}
	}
	return usage{cpu: time.Duration(n[1]+n[2]) * time.Second / clockTicks, faults: n[0]}, nil
}

// peakRSS returns a process's peak resident set size (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadtest: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("loadtest: VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("loadtest: /proc/%d/status has no VmHWM", pid)
}
