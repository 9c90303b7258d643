package calibrate

import (
	"fmt"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// compare sets the outcome of a result whose two answers are in.
func compare(r *Result) {
	switch {
	case !r.Upstream.OK():
		r.Outcome, r.Note = Failed, "upstream: "+r.Upstream.Error
	case !r.Mock.OK():
		r.Outcome, r.Note = Failed, "mock: "+r.Mock.Error
	case r.Upstream.Code == r.Mock.Code && r.Upstream.Info == r.Mock.Info:
		r.Outcome = Match
	default:
		r.Outcome = Differ
	}
}

// markNotProvoked turns into NotProvoked the differences of probes whose
// upstream answer is the upstream's answer to the probe of their Else check
// (or a success): the upstream let the request through the probed check.
func markNotProvoked(results []Result, probes []Probe) {
	byCheck := map[string]*Result{}
	for i := range results {
		if c := probes[i].Check; c != "" && results[i].Upstream.OK() {
			byCheck[probes[i].API.Name+"/"+string(c)] = &results[i]
		}
	}
	for i := range results {
		r, p := &results[i], probes[i]
		if r.Outcome != Differ || p.Check == "" {
			continue
		}
		if r.Upstream.Code == 0 {
			r.Outcome, r.Note = NotProvoked, "the upstream accepted the request: it does not apply this check"
			continue
		}
		if p.Else == "" {
			continue
		}
		other, ok := byCheck[p.API.Name+"/"+string(p.Else)]
		if ok && other.Upstream.Code == r.Upstream.Code && other.Upstream.Info == r.Upstream.Info {
			r.Outcome = NotProvoked
			r.Note = fmt.Sprintf("the upstream answered as to %s: it does not apply this check before that one", other.Probe)
		}
	}
}

// overrides derives, from the upstream answers, the code overrides that
// make a mock with the default table answer like the upstream. Each check
// gets the override of the first probe of it that was compared; a later
// probe calling for another one gets a note instead. A check that the table
// does not know (a row not in this build yet) gets a note too.
func overrides(results []Result, probes []Probe) map[codes.Check]codes.Override {
	defaults := map[codes.Check]codes.Rule{}
	for _, r := range codes.Defaults() {
		defaults[r.Check] = r
	}
	out := map[codes.Check]codes.Override{}
	from := map[codes.Check]string{}
	for i := range results {
		r, p := &results[i], probes[i]
		if p.Check == "" || (r.Outcome != Match && r.Outcome != Differ) {
			continue
		}
		def, known := defaults[p.Check]
		if !known {
			if r.Outcome == Differ {
				r.Note = fmt.Sprintf("check %q is not in this build's table: no override written", p.Check)
			}
			continue
		}
		o, note := overrideFor(def, r.Upstream)
		if note != "" {
			r.Note = note
		}
		if first, seen := from[p.Check]; seen {
			if out[p.Check] != o {
				r.Note = fmt.Sprintf("calls for another override of %s than %s: kept %s's", p.Check, first, first)
			}
			continue
		}
		from[p.Check] = r.Probe
		if o == (codes.Override{}) {
			continue
		}
		out[p.Check] = o
		ov := o
		r.Override = &ov
	}
	return out
}

// overrideFor returns the smallest override that turns rule def into the
// upstream's answer, and a note when the answer cannot be represented.
func overrideFor(def codes.Rule, up *Answer) (codes.Override, string) {
	var o codes.Override
	derived := def.Info
	if up.Code != def.Code {
		o.Code = up.Code
		derived = ""
		if e, ok := codes.Lookup(up.Code); ok {
			derived = e.Info
		}
	}
	switch {
	case up.Info == "" && derived == "":
		o.Info = fmt.Sprintf("error %d", up.Code)
		return o, "the upstream's ErrorInfo is empty and the code is not in the catalogue: the override carries a placeholder text"
	case up.Info == derived:
	case up.Info == "":
		return o, "the upstream's ErrorInfo is empty, which an override cannot say: the mock keeps a text"
	default:
		o.Info = up.Info
	}
	return o, ""
}
