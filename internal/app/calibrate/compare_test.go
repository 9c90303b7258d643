package calibrate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// notInCatalogue is a code that the catalogue lacks.
const notInCatalogue = 79999

func TestOverrideFor(t *testing.T) {
	var expired codes.Rule
	for _, r := range codes.Defaults() {
		if r.Check == codes.CheckUserSigExpired {
			expired = r
		}
	}
	tests := []struct {
		name     string
		up       Answer
		want     codes.Override
		wantNote bool
	}{
		{"as the default", Answer{Code: 70001, Info: expired.Info}, codes.Override{}, false},
		{"another code, its catalogue text", Answer{Code: 20002, Info: "UserSig or A2 invalid"}, codes.Override{Code: 20002}, false},
		{"another code, another text", Answer{Code: 20002, Info: "bad sig"}, codes.Override{Code: 20002, Info: "bad sig"}, false},
		{"another text", Answer{Code: 70001, Info: "UserSig expired"}, codes.Override{Info: "UserSig expired"}, false},
		{"a code the catalogue lacks", Answer{Code: notInCatalogue, Info: "too many failures"}, codes.Override{Code: notInCatalogue, Info: "too many failures"}, false},
		{"an empty text", Answer{Code: 70001, Info: ""}, codes.Override{}, true},
		{"an empty text and an unknown code", Answer{Code: notInCatalogue, Info: ""}, codes.Override{Code: notInCatalogue, Info: "error 79999"}, true},
		// A proxy's page echoing the request: cut to what a configuration
		// takes, and never inside a character (é is two bytes).
		{"a text past a configuration's bound", Answer{Code: 70001, Info: "x" + strings.Repeat("é", mockserver.MaxCodeInfoBytes)}, codes.Override{Info: "x" + strings.Repeat("é", mockserver.MaxCodeInfoBytes/2-1)}, true},
	}
	if _, ok := codes.Lookup(notInCatalogue); ok {
		t.Fatalf("code %d is in the catalogue now: pick another for these cases", notInCatalogue)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note := overrideFor(expired, &tt.up)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("override (-want +got):\n%s", diff)
			}
			if (note != "") != tt.wantNote {
				t.Errorf("note %q, want a note: %v", note, tt.wantNote)
			}
			if _, err := codes.NewTable(map[codes.Check]codes.Override{codes.CheckUserSigExpired: got}); err != nil {
				t.Errorf("the override is refused: %v", err)
			}
		})
	}
}

// An upstream that takes bodies of 64 KiB lets the 24 KiB probe through to
// the session check: that is no reason to override body-too-large.
func TestCheckNotAppliedIsNotProvoked(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.Limits.MaxBodyBytes = 64 << 10
	up := mockserver.NewTestServer(t, mockserver.WithConfig(cfg), mockserver.WithStrictSessions())
	id := Identity{SDKAppID: up.App.SDKAppID, Identifier: up.Identifier, SecretKey: up.App.SecretKey}
	rep := run(t, Options{Upstream: up.URL, Identity: id, Probes: v1Probes})
	got := outcomes(rep)
	if got["v1/body-too-large"] != NotProvoked {
		t.Errorf("v1/body-too-large: %s, want %s", got["v1/body-too-large"], NotProvoked)
	}
	if len(rep.Overrides) != 0 {
		t.Errorf("overrides %v, want none", rep.Overrides)
	}
	if !rep.Summary.Parity || rep.Summary.NotProvoked != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// Two probes of one check that call for different overrides: the first is
// kept, and the second says so.
func TestConflictingProbesOfOneCheck(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.Faults = []mockserver.Fault{{
		Match:  mockserver.FaultMatch{ChunkContains: "conflict-b"},
		Action: mockserver.FaultAction{ErrorCode: 90002},
	}}
	up := mockserver.NewTestServer(t, mockserver.WithConfig(cfg), mockserver.WithStrictSessions())
	id := Identity{SDKAppID: up.App.SDKAppID, Identifier: up.Identifier, SecretKey: up.App.SecretKey}
	probes := []Probe{
		{Name: "v1/a", API: V1, Check: codes.CheckBodySchema, Body: `{"SessionId":"${session}","Chunk":"conflict-a","Finish":2}`},
		{Name: "v1/b", API: V1, Check: codes.CheckBodySchema, Body: `{"SessionId":"${session}","Chunk":"conflict-b","Finish":2}`},
	}
	rep := run(t, Options{Upstream: up.URL, Identity: id, Probes: probes})
	if got := []Outcome{rep.Results[0].Outcome, rep.Results[1].Outcome}; !cmp.Equal(got, []Outcome{Match, Differ}) {
		t.Fatalf("outcomes %v", got)
	}
	if len(rep.Overrides) != 0 || rep.Results[1].Override != nil {
		t.Errorf("overrides %v, want the first probe's (none)", rep.Overrides)
	}
	if want := "calls for another override of body-schema than v1/a: kept v1/a's"; rep.Results[1].Note != want {
		t.Errorf("note %q, want %q", rep.Results[1].Note, want)
	}
}

// Where the endpoints probed answer one check alike, one override is
// written for all of them, but an endpoint with a default of its own for
// the check (the native streams' 90010) always gets its own: an override
// of every endpoint would not reach it, and a match on its own default
// needs none.
func TestOverridesOfEndpointsWithTheirOwnDefault(t *testing.T) {
	info := func(code int) string { e, _ := codes.Lookup(code); return e.Info }
	probe := func(api API) Probe { return Probe{Name: api.Name + "/p", API: api, Check: codes.CheckMsgKeyUnknown} }
	tests := []struct {
		name string
		up   map[string]int // API → the upstream's code; the text is the catalogue's
		want map[codes.Check]codes.Override
	}{
		{"every endpoint as its default", map[string]int{"v1": 141004, "v2": 141004, "c2c": 90010, "group": 90010}, map[codes.Check]codes.Override{}},
		{"the Desk endpoints alike", map[string]int{"v1": 90002, "v2": 90002, "c2c": 90010, "group": 90010},
			map[codes.Check]codes.Override{codes.CheckMsgKeyUnknown: {Code: 90002}}},
		{"all four alike", map[string]int{"v1": 90002, "v2": 90002, "c2c": 90002, "group": 90002},
			map[codes.Check]codes.Override{codes.CheckMsgKeyUnknown: {Code: 90002}, c2c(codes.CheckMsgKeyUnknown): {Code: 90002}, group(codes.CheckMsgKeyUnknown): {Code: 90002}}},
		{"one native endpoint differs", map[string]int{"v1": 141004, "v2": 141004, "c2c": 141004, "group": 90010},
			map[codes.Check]codes.Override{c2c(codes.CheckMsgKeyUnknown): {Code: 141004}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var probes []Probe
			var results []Result
			for _, api := range []API{V1, V2, C2C, Group} {
				p := probe(api)
				probes = append(probes, p)
				r := Result{Probe: p.Name, API: api.Name, Check: p.Check,
					Upstream: &Answer{Status: 200, Code: tt.up[api.Name], Info: info(tt.up[api.Name])}, Outcome: Differ}
				results = append(results, r)
			}
			got := overrides(results, probes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("overrides (-want +got):\n%s", diff)
			}
			table, err := codes.NewTable(got, mockserver.V1, mockserver.V2, mockserver.C2C, mockserver.Group)
			if err != nil {
				t.Fatalf("the overrides are refused: %v", err)
			}
			for api, code := range tt.up {
				if r := table.RuleFor(api, codes.CheckMsgKeyUnknown); r.Code != code || r.Info != info(code) {
					t.Errorf("with the overrides, %s answers %d %q, want %d", api, r.Code, r.Info, code)
				}
			}
		})
	}
}

// A probe with Shape differs when the replies' members do, even under the
// same code and text; one without does not.
func TestCompareShape(t *testing.T) {
	list := Answer{Status: 200, Members: "Robot_Account:array"}
	for _, tt := range []struct {
		name     string
		up, mock Answer
		shape    bool
		want     Outcome
		note     string
	}{
		{"same members", list, list, true, Match, ""},
		{"a member of another type", Answer{Status: 200, Members: "Robot_Account:object"}, list, true, Differ, "upstream Robot_Account:object, mock Robot_Account:array"},
		{"a member missing", Answer{Status: 200}, list, true, Differ, "upstream none, mock Robot_Account:array"},
		{"members not compared", Answer{Status: 200}, list, false, Match, ""},
		{"another code first", Answer{Status: 200, Code: 10002}, list, true, Differ, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{Upstream: &tt.up, Mock: &tt.mock}
			compare(&r, tt.shape)
			if r.Outcome != tt.want || !strings.Contains(r.Note, tt.note) || (tt.note == "" && r.Note != "") {
				t.Errorf("%s %q, want %s with %q", r.Outcome, r.Note, tt.want, tt.note)
			}
		})
	}
}

func TestMembers(t *testing.T) {
	for body, want := range map[string]string{
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`:                                       "",
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Robot_Account":["a"],"RequestId":"r"}`: "Robot_Account:array",
		`{"MsgKey":"k","ErrorCode":0,"X":{},"N":1,"B":true,"Z":null}`:                              "B:boolean MsgKey:string N:number X:object Z:null",
		`[1]`: "",
	} {
		if got := members([]byte(body)); got != want {
			t.Errorf("members(%s) = %q, want %q", body, got, want)
		}
	}
}
