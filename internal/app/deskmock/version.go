package deskmock

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the version of deskmock. Release builds set it with
//
//	go build -ldflags "-X github.com/deskmock/deskmock/internal/app/deskmock.Version=v1.2.3"
//
// When it is empty, the version of the main module recorded in the build
// information is used ("(devel)" for a build from a working tree).
var Version = ""

// version returns the version deskmock reports.
func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" {
		return "(devel)"
	}
	v := info.Main.Version
	if v == "(devel)" {
		var rev, dirty string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", modified"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			v += " (revision " + rev + dirty + ")"
		}
	}
	return v
}

func runVersion(ctx context.Context, e *env, args []string) int {
	const name = "version"
	fs := newFlagSet(e, name, "", "Print the version of deskmock and the Go version it was built with.")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, name, "unexpected argument %q", pos[0])
	}
	fmt.Fprintf(e.stdout, "%s %s %s %s/%s\n", progName, version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
