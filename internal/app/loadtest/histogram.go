package loadtest

import "time"

// histogram counts latencies in fixed memory: 1 µs buckets below 10 ms,
// 1 ms buckets up to 10 s, and one bucket above.
type histogram struct {
	fine   [10_000]uint32 // µs
	coarse [10_000]uint32 // ms
	over   uint32
	n      uint64
}

func (h *histogram) add(d time.Duration) {
	h.n++
	switch us := d.Microseconds(); {
	case us < 10_000:
		h.fine[us]++
	case us < 10_000_000:
		h.coarse[us/1000]++
	default:
		h.over++
	}
}

func (h *histogram) merge(o *histogram) {
	for i := range h.fine {
		h.fine[i] += o.fine[i]
		h.coarse[i] += o.coarse[i]
	}
	h.over += o.over
	h.n += o.n
}

// quantile returns the latency under which a fraction q of the requests
// took, to the bucket's resolution.
func (h *histogram) quantile(q float64) time.Duration {
	rank := uint64(q * float64(h.n))
	var seen uint64
	for i, c := range h.fine {
		if seen += uint64(c); seen > rank {
			return time.Duration(i) * time.Microsecond
		}
	}
	for i, c := range h.coarse {
		if seen += uint64(c); seen > rank {
			return time.Duration(i) * time.Millisecond
		}
	}
	return 10 * time.Second
}
