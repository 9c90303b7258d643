package calibrate

import (
	"context"
	"time"
)

// pacer spaces requests at least 1/rate apart.
type pacer struct {
	gap  time.Duration
	next time.Time
}

func newPacer(rate float64) *pacer {
	return &pacer{gap: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the next request may go, or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	now := time.Now()
	if d := p.next.Sub(now); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
		now = p.next
	}
	p.next = now.Add(p.gap)
	return nil
}

// skip lets a request go at once; the next paced one waits a whole gap
// after it.
func (p *pacer) skip() { p.next = time.Now().Add(p.gap) }

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
