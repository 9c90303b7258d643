package calibrate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/deskmock/deskmock/mockserver"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// compare sets the outcome of a result whose two answers are in; shape
// compares the replies' members too.
func compare(r *Result, shape bool) {
	switch {
	case !r.Upstream.OK():
		r.Outcome, r.Note = Failed, "upstream: "+r.Upstream.Error
	case !r.Mock.OK():
		r.Outcome, r.Note = Failed, "mock: "+r.Mock.Error
	case r.Upstream.Code != r.Mock.Code || r.Upstream.Info != r.Mock.Info:
		r.Outcome = Differ
	case shape && r.Upstream.Members != r.Mock.Members:
		r.Outcome = Differ
		r.Note = fmt.Sprintf("the replies' members differ: upstream %s, mock %s", orNone(r.Upstream.Members), orNone(r.Mock.Members))
	default:
		r.Outcome = Match
	}
}

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
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

// defaultTable is the check→code table without overrides.
var defaultTable = func() *codes.Table {
	t, err := codes.NewTable(nil)
	if err != nil {
		panic(err) // the defaults are fixed: a bug
	}
	return t
}()

// ownDefaults are the override keys ("c2c/msgkey-unknown") of the checks
// that an endpoint has a default of its own for (codes.Variants).
var ownDefaults = func() map[codes.Check]bool {
	out := map[codes.Check]bool{}
	for _, r := range codes.Variants() {
		for _, ep := range r.Endpoints {
			out[codes.EndpointCheck(ep, r.Check)] = true
		}
	}
	return out
}()

// ownDefault reports whether an API has a default of its own for a check:
// an override of every endpoint does not change it.
func ownDefault(api string, c codes.Check) bool { return ownDefaults[codes.EndpointCheck(api, c)] }

// overrides derives, from the upstream answers, the code overrides that
// make a mock with the default table answer like the upstream. On each API,
// a check gets the override of the first probe of it that was compared,
// from the API's default for it; a later probe calling for another one gets
// a note instead. When the APIs that probed a check call for the same
// override, it is written for every endpoint ("body-schema"); when they
// differ, each API gets its own ("v1/body-schema", "v2/body-schema"). An
// API with a default of its own for the check (the native streams' 90010)
// always gets its own, as an override of every endpoint leaves that
// default alone. A check that the table does not know (a row not in this
// build yet) gets a note.
func overrides(results []Result, probes []Probe) map[codes.Check]codes.Override {
	defaults := map[codes.Check]bool{}
	for _, r := range codes.Defaults() {
		defaults[r.Check] = true
	}
	type found struct {
		o      codes.Override
		result *Result
		at     int // the result's place
	}
	perAPI := map[codes.Check]map[string]found{} // check → API → first probe's
	var order []codes.Check
	for i := range results {
		r, p := &results[i], probes[i]
		if p.Check == "" || (r.Outcome != Match && r.Outcome != Differ) || r.Upstream.Code == 0 {
			continue // nothing to learn: the upstream did not apply the check
		}
		if !defaults[p.Check] {
			if r.Outcome == Differ {
				r.Note = fmt.Sprintf("check %q is not in this build's table: no override written", p.Check)
			}
			continue
		}
		o, note := overrideFor(defaultTable.RuleFor(p.API.Name, p.Check), r.Upstream)
		if note != "" {
			r.Note = note
		}
		if perAPI[p.Check] == nil {
			perAPI[p.Check] = map[string]found{}
			order = append(order, p.Check)
		}
		if first, seen := perAPI[p.Check][p.API.Name]; seen {
			if first.o != o {
				r.Note = fmt.Sprintf("calls for another override of %s than %s: kept %s's", p.Check, first.result.Probe, first.result.Probe)
			}
			continue
		}
		perAPI[p.Check][p.API.Name] = found{o, r, i}
	}
	out := map[codes.Check]codes.Override{}
	for _, c := range order {
		var list []found // in the order the probes ran
		for _, f := range perAPI[c] {
			list = append(list, f)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].at < list[j].at })
		var shared []found // the APIs an override of every endpoint acts on
		for _, f := range list {
			if !ownDefault(f.result.API, c) {
				shared = append(shared, f)
			}
		}
		agree := true
		for _, f := range shared {
			agree = agree && f.o == shared[0].o
		}
		for _, f := range list {
			if f.o == (codes.Override{}) {
				continue
			}
			key := c
			switch {
			case ownDefault(f.result.API, c) || !agree:
				key = codes.EndpointCheck(f.result.API, c)
			case f.at != shared[0].at:
				continue // written once, by the first
			}
			ov := f.o
			out[key], f.result.Override, f.result.OverrideKey = ov, &ov, key
		}
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
	case len(up.Info) > mockserver.MaxCodeInfoBytes:
		// A configuration bounds an override's text; a proxy's page
		// echoing the request can be longer. Cut on a character's edge.
		o.Info = strings.ToValidUTF8(up.Info[:mockserver.MaxCodeInfoBytes], "")
		return o, fmt.Sprintf("the upstream's ErrorInfo is %d bytes: the override keeps its first %d, the most a configuration takes", len(up.Info), mockserver.MaxCodeInfoBytes)
	default:
		o.Info = up.Info
	}
	return o, ""
}
