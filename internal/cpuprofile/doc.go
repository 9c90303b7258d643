// Package cpuprofile lets the end-to-end benchmark profile the servers it
// runs (go run ./cmd/loadtest -cpuprofile DIR). Built with -tags
// cpuprofile, a program that imports it for its side effect profiles its
// CPU from SIGUSR1 to SIGUSR2 into the file $DESKMOCK_CPUPROFILE names;
// without the tag, or without the variable, it does nothing.
package cpuprofile

// EnvVar names the file a profile is written to.
const EnvVar = "DESKMOCK_CPUPROFILE"
