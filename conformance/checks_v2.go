package conformance

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// VendorCallsPerSecond is how many calls one v2, c2c or group stream may
// make in any one second, as the vendor states it.
const VendorCallsPerSecond = 5

// indexText writes a call's Indexes for a diff.
func indexText(c *call) string {
	if !c.elem {
		return "no Index (not a TIMStreamElem body)"
	}
	s := make([]string, len(c.indexes))
	for i, n := range c.indexes {
		s[i] = strconv.Itoa(n)
	}
	return "Index=" + strings.Join(s, ",")
}

func checkIndexSequence(ev *evidence) verdict {
	if !ev.ep.Indexed {
		return notApplicable("a %s case: its chunks have no Index", ev.ep.Name)
	}
	want := map[int]string{}
	next, gen, last := 1, 0, ""
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.stray || !c.bodyKnown {
			continue
		}
		if c.gen != gen {
			gen, next = c.gen, 1
		}
		if c.kind == retryAttempt {
			want[c.n] = last
		} else {
			want[c.n] = "Index=" + strconv.Itoa(next)
			next++
		}
		last = indexText(c)
	}
	return perCall(ev, "Index", func(c *call) bool { _, ok := want[c.n]; return ok },
		func(c *call) string { return want[c.n] }, indexText)
}

func checkPaced(ev *evidence) verdict {
	if !ev.ep.Indexed {
		return notApplicable("a %s case: the vendor states no per-stream rate for it", ev.ep.Name)
	}
	if len(ev.calls) == 0 {
		return noCalls
	}
	var bad []string
	times := map[string][]*call{} // each stream's calls, by MsgKey
	var keys []string
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.Check == codes.CheckStreamRate {
			bad = append(bad, fmt.Sprintf("call #%d was refused by the rate rule (%s)", c.n, c.reason))
		}
		key := c.IssuedMsgKey
		if c.hasMsgKey {
			key = c.msgKey
		}
		if key == "" {
			continue
		}
		if _, ok := times[key]; !ok {
			keys = append(keys, key)
		}
		times[key] = append(times[key], c)
	}
	for _, key := range keys {
		cs := times[key]
		for j := VendorCallsPerSecond; j < len(cs); j++ {
			first := cs[j-VendorCallsPerSecond]
			if gap := cs[j].Time.Sub(first.Time); gap < time.Second {
				bad = append(bad, fmt.Sprintf("stream %s got %d calls in %s (#%d to #%d)",
					key, VendorCallsPerSecond+1, roundDuration(gap), first.n, cs[j].n))
				break
			}
		}
	}
	if len(bad) > 0 {
		return fail("", "%s (at most %d calls a second per stream)", strings.Join(bad, "; "), VendorCallsPerSecond)
	}
	return pass("no stream got more than %d calls in a second", VendorCallsPerSecond)
}

func checkNoCallAfterEnd(ev *evidence) verdict {
	dead := map[string]int{} // MsgKey → the call refused because its stream ended
	var bad []string
	for i := range ev.calls {
		c := &ev.calls[i]
		if !c.hasMsgKey {
			continue
		}
		if n, ok := dead[c.msgKey]; ok {
			bad = append(bad, fmt.Sprintf("call #%d carried the %s of the stream that call #%d found ended", c.n, ev.ep.Key, n))
			continue
		}
		if refusedAtEnd(c.Check) && !c.appliedEarlier {
			dead[c.msgKey] = c.n
		}
	}
	switch {
	case len(bad) > 0:
		return fail("", "%s", strings.Join(bad, "; "))
	case len(dead) == 0:
		return notApplicable("no call was refused because its stream had ended")
	}
	return pass("no call went to a stream after it was refused as ended")
}
