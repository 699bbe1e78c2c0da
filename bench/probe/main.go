// Command probe measures a process for bench/run.sh, with the same overhead
// whichever program it measures:
//
//	probe window -name TITLE [-settle D] [-idle D] -- CMD ARGS...
//	probe exec -- CMD ARGS...
//
// window starts CMD and waits, on an X event rather than by polling, for a
// top-level window titled TITLE to be mapped; it then waits -settle and
// reads VmRSS, then measures the CPU time (utime+stime, all threads) spent
// over -idle, and stops the process; it also reports the CPU time the
// process had used when its window mapped (map_cpu_ticks). exec times CMD from start to exit
// (stdout discarded; a non-zero exit is an error). The result is one line of
// key=value pairs on stdout.
package main

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

static Display *dpy;

static int open_display(void) {
	dpy = XOpenDisplay(NULL);
	if (!dpy) return -1;
	XSelectInput(dpy, DefaultRootWindow(dpy), SubstructureNotifyMask);
	XSync(dpy, False);
	return 0;
}

// wait_map waits up to timeout_ms for a child of the root window titled
// name to be mapped; 1 when it was, 0 on timeout.
static int wait_map(const char *name, int timeout_ms) {
	struct pollfd p = { .fd = ConnectionNumber(dpy), .events = POLLIN };
	for (;;) {
		while (XPending(dpy)) {
			XEvent ev;
			XNextEvent(dpy, &ev);
			if (ev.type != MapNotify) continue;
			char *title = NULL;
			int match = XFetchName(dpy, ev.xmap.window, &title) && title && strcmp(title, name) == 0;
			if (title) XFree(title);
			if (match) return 1;
		}
		if (poll(&p, 1, timeout_ms) <= 0) return 0;
	}
}
*/
import "C"

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe window|exec ...")
	}
	switch os.Args[1] {
	case "window":
		window(os.Args[2:])
	case "exec":
		run(os.Args[2:])
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(2)
}

func window(args []string) {
	fs := flag.NewFlagSet("window", flag.ExitOnError)
	name := fs.String("name", "", "window title to wait for")
	settle := fs.Duration("settle", 0, "wait after mapping before reading VmRSS")
	idle := fs.Duration("idle", 0, "measure CPU time over this long after settling")
	timeout := fs.Duration("timeout", 30*time.Second, "give up waiting for the window")
	usr1 := fs.Bool("usr1", false, "send SIGUSR1 to the process when its window maps (a benchprof build stops its profile)")
	fs.Parse(args)
	if *name == "" || fs.NArg() == 0 {
		fail("window: need -name and a command")
	}
	if C.open_display() != 0 {
		fail("cannot open display " + os.Getenv("DISPLAY"))
	}
	cname := C.CString(*name)
	defer C.free(unsafe.Pointer(cname))
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fail(err.Error())
	}
	defer stop(cmd)
	if C.wait_map(cname, C.int(timeout.Milliseconds())) != 1 {
		stop(cmd)
		fail(fmt.Sprintf("no window %q mapped within %v", *name, *timeout))
	}
	mapped := time.Since(start)
	if *usr1 {
		cmd.Process.Signal(syscall.SIGUSR1)
	}
	out := []string{fmt.Sprintf("map_ms=%.1f", float64(mapped.Microseconds())/1000),
		fmt.Sprintf("map_cpu_ticks=%d", cpuTicks(cmd.Process.Pid))}
	if *settle > 0 {
		time.Sleep(*settle)
		out = append(out, "gl="+glDriver(cmd.Process.Pid))
		out = append(out, "rss_kb="+strconv.Itoa(statusKB(cmd.Process.Pid, "VmRSS:")))
	}
	if *idle > 0 {
		pid := cmd.Process.Pid
		before, threads0 := cpuTicks(pid), threadTicks(pid)
		time.Sleep(*idle)
		after, threads1 := cpuTicks(pid), threadTicks(pid)
		out = append(out, fmt.Sprintf("cpu_ticks=%d", after-before), fmt.Sprintf("idle_s=%g", idle.Seconds()),
			"threads="+busiest(threads0, threads1))
	}
	fmt.Println(strings.Join(out, " "))
}

// stop ends the measured process: SIGTERM, then SIGKILL after 5 s.
func stop(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func run(args []string) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fail("exec: need a command")
	}
	cmd := exec.Command(args[0], args[1:]...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		fail(fmt.Sprintf("%s: %v: %s", args[0], err, errb.String()))
	}
	fmt.Printf("wall_ms=%.2f\n", float64(took.Microseconds())/1000)
}

// statusKB reads a "Key:   N kB" line of /proc/PID/status.
func statusKB(pid int, key string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == key {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// statTicks returns utime+stime and the thread name from a stat file.
func statTicks(path string) (int, string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, ""
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < 0 {
		return 0, ""
	}
	f := strings.Fields(s[end+2:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, ""
	}
	u, _ := strconv.Atoi(f[11]) // field 14 utime
	k, _ := strconv.Atoi(f[12]) // field 15 stime
	return u + k, s[open+1 : end]
}

func cpuTicks(pid int) int {
	t, _ := statTicks(fmt.Sprintf("/proc/%d/stat", pid))
	return t
}

// threadTicks maps "tid:name" to CPU ticks for every thread.
func threadTicks(pid int) map[string]int {
	m := map[string]int{}
	paths, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	for _, p := range paths {
		t, name := statTicks(p)
		m[filepath.Base(filepath.Dir(p))+":"+name] = t
	}
	return m
}

// busiest lists the threads that used CPU between two samples, busiest
// first, as tid:name:ticks joined by commas.
func busiest(a, b map[string]int) string {
	type th struct {
		id string
		d  int
	}
	var l []th
	for id, t := range b {
		if d := t - a[id]; d > 0 {
			l = append(l, th{id, d})
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].d > l[j].d })
	var s []string
	for _, t := range l {
		s = append(s, strings.ReplaceAll(t.id, " ", "_")+":"+strconv.Itoa(t.d))
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// glDriver names the Mesa DRI driver the process has mapped ("-" if none).
func glDriver(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.LastIndexByte(l, '/'); i >= 0 && strings.HasSuffix(l, "_dri.so") {
			return l[i+1:]
		}
	}
	return "-"
}
