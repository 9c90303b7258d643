package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/deskmock/deskmock/conformance/protocol"
)

func checkConversation(ev *evidence) verdict {
	want := conversationText(ev.ep, func(f protocol.Field) (any, bool) {
		v := ev.in.Value(f)
		return *v, !f.Optional || *v != ""
	})
	return perCall(ev, "conversation", func(c *call) bool { return !c.stray && c.bodyKnown },
		func(*call) string { return want },
		func(c *call) string { return c.conv })
}

// firstDelivered returns the position in ev.calls of the first call whose
// reply gave the client a MsgKey in its last attempt at the message, or -1.
func (ev *evidence) firstDelivered() int {
	if len(ev.calls) == 0 {
		return -1
	}
	return ev.firstDeliveredIn(ev.calls[len(ev.calls)-1].gen)
}

// firstDeliveredIn returns the position in ev.calls of the first call of
// the client's attempt gen at the message whose reply gave it a MsgKey, or
// -1.
func (ev *evidence) firstDeliveredIn(gen int) int {
	for i := range ev.calls {
		if ev.calls[i].gen == gen && ev.calls[i].delivered != "" {
			return i
		}
	}
	return -1
}

// deliveredBefore returns, for each call, the call of its attempt at the
// message that delivered the MsgKey, or nil when none had yet.
func (ev *evidence) deliveredBefore() []*call {
	out := make([]*call, len(ev.calls))
	var last *call
	gen := 0
	for i := range ev.calls {
		c := &ev.calls[i]
		if c.gen != gen {
			gen, last = c.gen, nil
		}
		out[i] = last
		if last == nil && c.delivered != "" {
			last = c
		}
	}
	return out
}

func keyText(c *call) string {
	if !c.hasMsgKey {
		return "no " + c.keyName
	}
	return c.keyName + "=" + c.msgKey
}

func checkFirstWithoutKey(ev *evidence) verdict {
	before := ev.deliveredBefore()
	return perCall(ev, "calls sent before a "+ev.ep.Key+" was issued", func(c *call) bool {
		return c.bodyKnown && !c.stray && before[c.n-1] == nil
	}, func(c *call) string { return "no " + c.keyName }, keyText)
}

func checkKeyReused(ev *evidence) verdict {
	before := ev.deliveredBefore()
	if ev.firstDeliveredIn(0) < 0 && ev.firstDelivered() < 0 {
		return notApplicable("no reply issued a %s, so none was to be reused", ev.ep.Key)
	}
	return perCall(ev, "calls after the "+ev.ep.Key+" was issued", func(c *call) bool {
		return c.bodyKnown && !c.stray && before[c.n-1] != nil
	}, func(c *call) string { return c.keyName + "=" + before[c.n-1].delivered }, keyText)
}

// showChunk writes a chunk for a diff, long ones shortened with their length
// and a hash so that different chunks never look alike.
func showChunk(s string) string {
	if len(s) <= 80 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	cut := 40
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes, sha256 %s)", s[:cut], len(s), hex.EncodeToString(sum[:4]))
}

func showChunks(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = showChunk(s)
	}
	return out
}

// chunkRow is one chunk sent, in the diff of stream/chunks-in-order. Chunk
// is its place ("2/3") or why it was unexpected ("2/3 again"), so that no
// two rows are alike and the diff is unambiguous.
type chunkRow struct {
	Chunk string `json:"place"`
	Text  string `json:"Chunk"`
}

func checkChunksInOrder(ev *evidence) verdict {
	n := len(ev.chunks)
	place := func(i int) string { return strconv.Itoa(i+1) + "/" + strconv.Itoa(n) }
	var got, want []chunkRow
	bad, attemptBad := false, false
	sent := 0 // chunks sent in the client's current attempt at the message
	owed := func() {
		k := sent
		if attemptBad {
			k = n // a client that sent a wrong chunk owed them all
		}
		for i := 0; i < min(k, n); i++ {
			want = append(want, chunkRow{place(i), showChunk(ev.chunks[i])})
		}
	}
	for i := range ev.calls {
		c := &ev.calls[i]
		switch {
		case c.stray || c.kind == retryAttempt:
		case c.kind == unexpected:
			got = append(got, chunkRow{c.label, showChunk(c.chunk)})
			bad, attemptBad = true, true
		default:
			if c.restart {
				owed()
				sent, attemptBad = 0, false
			}
			got = append(got, chunkRow{place(c.index), showChunk(ev.chunks[c.index])})
			sent++
		}
	}
	owed()
	switch {
	case bad:
		return fail(diff(want, got), "the chunks sent (retries left out) are not the case's chunks in order, each once")
	case len(got) == 0:
		return notApplicable("no chunk was sent")
	case sent < n:
		return pass("the %d chunks sent (of %d) were sent in order, each once", sent, n)
	case len(got) > n:
		return pass("every chunk sent once, in order, in each stream the client started")
	}
	return pass("every chunk sent once, in order")
}

func checkFinishLast(ev *evidence) verdict {
	last := len(ev.chunks) - 1
	finish := func(b bool) string {
		switch {
		case ev.ep.Indexed && b:
			return "IsLast=true"
		case ev.ep.Indexed:
			return "IsLast=false"
		case b:
			return "Finish=1"
		}
		return "no Finish"
	}
	return perCall(ev, "Finish", func(c *call) bool {
		return !c.stray && c.bodyKnown && c.kind != unexpected
	}, func(c *call) string {
		return "chunk " + strconv.Itoa(c.index+1) + " " + finish(c.index == last)
	}, func(c *call) string {
		return "chunk " + strconv.Itoa(c.index+1) + " " + finish(c.finish)
	})
}

func checkNothingAfterFinish(ev *evidence) verdict {
	for i := range ev.calls {
		c := &ev.calls[i]
		if !c.finish || c.outcome != success {
			continue
		}
		if rest := len(ev.calls) - i - 1; rest > 0 {
			var ns []int
			for _, r := range ev.calls[i+1:] {
				ns = append(ns, r.n)
			}
			return fail("", "call #%d finished the stream, yet the client sent %d more: %s", c.n, rest, joinInts(ns))
		}
		return pass("nothing was sent after call #%d finished the stream", c.n)
	}
	return notApplicable("no call finished the stream")
}

func checkText(ev *evidence) verdict {
	want := ev.c.WantTexts()
	got := make([]string, len(ev.streams))
	for i, s := range ev.streams {
		got[i] = s.Text
	}
	doubled := ev.doubled()
	if len(want) == 0 && len(ev.calls) == 0 {
		return noCalls // no message was due, and none could have been sent
	}
	if strings.Join(want, "\x00") == strings.Join(got, "\x00") && len(want) == len(got) {
		if doubled != "" {
			return pass("text as expected, but %s", doubled)
		}
		switch len(got) {
		case 0:
			return pass("no message, as expected: nothing was accepted")
		case 1:
			if ev.c.Expect.OK {
				return pass("the user sees the chunks joined (not doubled)")
			}
			return pass("the user sees what was accepted before the failure (not doubled)")
		}
		return pass("the user sees the %d messages expected", len(got))
	}
	why := "the user sees another text"
	switch {
	case doubled != "":
		why = "text doubled: " + doubled
	case len(got) != len(want):
		why = fmt.Sprintf("the user sees %d messages instead of %d", len(got), len(want))
	case len(got) == 1 && strings.HasPrefix(want[0], got[0]):
		why = "text incomplete: chunks were lost"
	}
	return fail(diff(showChunks(want), showChunks(got)), "%s", why)
}

// doubled says how the text was doubled, or "" when it was not: a chunk
// accepted twice in a row in a stream where the case does not repeat it, or
// one call applied in more than one stream.
func (ev *evidence) doubled() string {
	for _, s := range ev.streams {
		for i := 1; i < len(s.Chunks); i++ {
			if s.Chunks[i] == s.Chunks[i-1] && !repeats(ev.chunks, s.Chunks[i]) {
				return fmt.Sprintf("the chunk %q was accepted twice", showChunk(s.Chunks[i]))
			}
		}
	}
	if len(ev.streams) > 1 && len(ev.c.WantTexts()) <= 1 {
		return fmt.Sprintf("the message was split over %d streams, so the user sees %d messages", len(ev.streams), len(ev.streams))
	}
	return ""
}

// repeats reports whether chunk appears twice in a row in chunks.
func repeats(chunks []string, chunk string) bool {
	for i := 1; i < len(chunks); i++ {
		if chunks[i] == chunk && chunks[i-1] == chunk {
			return true
		}
	}
	return false
}
