package protocol

import (
	"slices"
	"testing"
	"time"
)

func TestEnvVersionAndPauses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in            Input
		version, wait string
	}{
		{Input{}, "DESKMOCK_VERSION=v1", "DESKMOCK_PAUSES_MS=[]"},
		{Input{Version: VersionV2, PausesMS: []int{0, 0, 500}}, "DESKMOCK_VERSION=v2", "DESKMOCK_PAUSES_MS=[0,0,500]"},
	} {
		env := tt.in.Env()
		if !slices.Contains(env, tt.version) || !slices.Contains(env, tt.wait) {
			t.Errorf("Env() = %q, want %q and %q", env, tt.version, tt.wait)
		}
	}
}

func TestPause(t *testing.T) {
	t.Parallel()
	in := Input{PausesMS: []int{0, 250}}
	for i, want := range []time.Duration{0, 250 * time.Millisecond, 0} {
		if got := in.Pause(i); got != want {
			t.Errorf("Pause(%d) = %s, want %s", i, got, want)
		}
	}
	if in.V2() || !(Input{Version: VersionV2}).V2() {
		t.Errorf("V2 does not follow Version")
	}
}
