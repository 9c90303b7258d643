package mockserver

import (
	"sync/atomic"
	"time"
)

// clock is the server's time: a base clock moved forward by an offset, so
// that tests (and the admin API) can let time pass without waiting.
type clock struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds
}

func newClock(base func() time.Time) *clock {
	if base == nil {
		base = time.Now
	}
	return &clock{base: base}
}

func (c *clock) now() time.Time { return c.base().Add(time.Duration(c.offset.Load())) }

// advance moves the clock forward by d.
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// moved returns how far the clock was moved.
func (c *clock) moved() time.Duration { return time.Duration(c.offset.Load()) }

// reset puts the clock back on its base.
func (c *clock) reset() { c.offset.Store(0) }
