package loadtest

import (
	"os"
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	var h histogram
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond / 10) // 0.1 ms … 10 ms
	}
	h.add(20 * time.Second)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 100 * time.Microsecond},
		{0.5, 5100 * time.Microsecond},
		{0.9, 9100 * time.Microsecond},
		{0.99, 10 * time.Millisecond},
		{1, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := h.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %s, want %s", tt.q, got, tt.want)
		}
	}
}

func TestProcFigures(t *testing.T) {
	pid := os.Getpid()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	start := time.Now()
	for time.Since(start) < 50*time.Millisecond { // burn CPU the clock ticks can see
	}
	cpu, err := cpuTime(pid)
	if err != nil || cpu <= 0 {
		t.Errorf("cpuTime = %s, %v; want some CPU", cpu, err)
	}
	rss, err := peakRSS(pid)
	if err != nil || rss < 1<<20 {
		t.Errorf("peakRSS = %d, %v; want at least 1 MiB", rss, err)
	}
}

func TestSpread(t *testing.T) {
	for _, tt := range []struct {
		xs          []float64
		lo, med, hi float64
	}{
		{[]float64{3, 1, 2}, 1, 2, 3},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
		{[]float64{7}, 7, 7, 7},
	} {
		if lo, med, hi := spread(tt.xs); lo != tt.lo || med != tt.med || hi != tt.hi {
			t.Errorf("spread(%v) = %v %v %v, want %v %v %v", tt.xs, lo, med, hi, tt.lo, tt.med, tt.hi)
		}
	}
}
