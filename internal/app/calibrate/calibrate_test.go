package calibrate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	goldenfile "github.com/deskmock/deskmock/internal/golden"
	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/calibrate")

// goldenDir holds the pinned console reports.
var goldenDir = filepath.Join("..", "..", "..", "testdata", "calibrate")

// The live conversations the live probes write to in tests.
const (
	liveSession = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
	liveAccount = "calibrate_live_user"
	liveGroup   = "calibrate_live_group"
	// sender is an account the upstream knows, to send from.
	sender = "calibrate_bot"
	// liveRobot is the chatbot the upstream knows, which streams.
	liveRobot = "@RBT#calibrate_bot"
)

// upstreamOverrides are where the test upstream differs from deskmock's
// defaults: rows of both versions, by code, by text, and by both; some for
// every endpoint, some for one.
var upstreamOverrides = map[codes.Check]codes.Override{
	codes.CheckSDKAppIDUnknown:  {Code: 60006},
	codes.CheckUserSigExpired:   {Code: 20002},
	codes.CheckNotAdmin:         {Code: 60010, Info: "Only the App administrator may call this API."},
	codes.CheckSessionNotFound:  {Info: "Session is gone."},
	codes.CheckStreamFinished:   {Code: 141005},
	codes.CheckMsgKeyUnknown:    {Info: "MsgKey is unknown."},
	v1(codes.CheckBodyNotJSON):  {Info: "Not JSON."},
	v2(codes.CheckBodySchema):   {Code: 90002},
	v2(codes.CheckBodyTooLarge): {Info: "Body over 256 KiB."},
	codes.CheckChunkIndex:       {Code: 141006, Info: "Index must grow."},
	codes.CheckStreamIdleEnded:  {Code: 141005},
	codes.CheckStreamRate:       {Code: 60013},
	// Rows of the native streams: one endpoint's, every endpoint's, and
	// one where the endpoint has a default of its own.
	c2c(codes.CheckAccountUnknown):   {Code: 20003},
	codes.CheckGroupUnknown:          {Info: "Group is gone."},
	group(codes.CheckStreamFinished): {Info: "Stream is over."},
	// Rows of the chatbot APIs: one only the chatbot stream runs, one of
	// two endpoints, and one where the endpoint has a default of its own.
	codes.CheckNotRobot: {Code: 20003},
	codes.EndpointCheck(mockserver.CreateRobot, codes.CheckRobotIDMalformed): {Info: "UserID must start with @RBT#."},
	codes.EndpointCheck(mockserver.GetAllRobots, codes.CheckNotAdmin):        {Code: 10002},
	codes.EndpointCheck(mockserver.Chatbot, codes.CheckStreamFinished):       {Code: 20001},
}

// v1, v2, c2c and group are the override keys of one endpoint's check.
func v1(c codes.Check) codes.Check    { return codes.EndpointCheck("v1", c) }
func v2(c codes.Check) codes.Check    { return codes.EndpointCheck("v2", c) }
func c2c(c codes.Check) codes.Check   { return codes.EndpointCheck("c2c", c) }
func group(c codes.Check) codes.Check { return codes.EndpointCheck("group", c) }

// differOnBoth are the probes that differ against an upstream with
// upstreamOverrides: each of its rows, on each endpoint that probes it and
// whose answer it changes (an override of every endpoint leaves a native
// stream's own default alone), sorted.
var differOnBoth = []string{
	"c2c/account-unknown", "c2c/stream-rate",
	"chatbot/sender-not-robot", "chatbot/stream-finished", "create_robot/robot-id-malformed",
	"describe_chat_messages/not-admin", "describe_im_cdr_list/not-admin",
	"end_queuing/session-not-found", "end_session/ended", "end_session/session-not-found",
	"get_all_robots/not-admin", "get_session_state/not-admin",
	"group/group-unknown", "group/stream-finished", "group/stream-rate",
	"send_msg/by-user-not-found", "send_msg/session-not-found", "transfer_to_human/session-not-found",
	"v1/body-not-json", "v1/msgkey-unknown", "v1/not-admin", "v1/sdkappid-unknown", "v1/session-not-found", "v1/stream-finished", "v1/usersig-expired",
	"v2/body-schema", "v2/body-schema-event", "v2/body-schema-index", "v2/body-schema-islast", "v2/body-too-large",
	"v2/chunk-index", "v2/chunk-index-first", "v2/msgkey-unknown", "v2/session-not-found", "v2/stream-finished", "v2/stream-idle-ended", "v2/stream-rate",
}

// advancing moves a test upstream's clock instead of waiting.
func advancing(up *mockserver.TestServer) func(context.Context, time.Duration) error {
	return func(_ context.Context, d time.Duration) error { return up.AdvanceClock(d) }
}

// startUpstream starts a second deskmock, strict about sessions, accounts
// and groups like the real service, answering with overrides.
func startUpstream(t *testing.T, overrides map[codes.Check]codes.Override) (*mockserver.TestServer, Identity) {
	t.Helper()
	cfg := mockserver.DefaultConfig()
	cfg.Codes = overrides
	cfg.Accounts = mockserver.Directory{Strict: true, IDs: []string{liveAccount, sender, liveRobot}}
	cfg.Groups = mockserver.Directory{Strict: true, IDs: []string{liveGroup}}
	cfg.Apps[0].Robots = []string{liveRobot}
	up := mockserver.NewTestServer(t, mockserver.WithConfig(cfg), mockserver.WithStrictSessions(liveSession))
	beginLive(t, up)
	return up, Identity{SDKAppID: up.App.SDKAppID, Identifier: up.Identifier, SecretKey: up.App.SecretKey,
		Session: liveSession, Account: liveAccount, Group: liveGroup, Robot: liveRobot}
}

// beginLive (re)starts the live session on the upstream, as the live
// account's: the last probes that write end it.
func beginLive(t *testing.T, up *mockserver.TestServer) {
	t.Helper()
	if _, err := up.BeginSession(liveSession, liveAccount, CustomerService, ""); err != nil {
		t.Fatal(err)
	}
}

// fixedNow stamps reports in tests.
func fixedNow() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }

func run(t *testing.T, opts Options) *Report {
	t.Helper()
	if opts.Rate == 0 {
		opts.Rate = 1000
	}
	opts.Now = fixedNow
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// outcomes maps each probe to its outcome.
func outcomes(rep *Report) map[string]Outcome {
	out := map[string]Outcome{}
	for _, r := range rep.Results {
		out[r.Probe] = r.Outcome
	}
	return out
}

// wanted lists the probes with a given outcome.
func withOutcome(rep *Report, o Outcome) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Outcome == o {
			out = append(out, r.Probe)
		}
	}
	sort.Strings(out)
	return out
}

func TestFindsExactlyTheRowsThatDiffer(t *testing.T) {
	overrides := upstreamOverrides
	up, id := startUpstream(t, overrides)
	var journal bytes.Buffer
	// The runner moves the upstream's clock or waits, never both: a clock
	// moved by every probe's Wait means no probe waited.
	var moved, wait time.Duration
	for _, p := range Probes() {
		wait += p.Wait
	}
	advance := func(ctx context.Context, d time.Duration) error {
		moved += d
		return advancing(up)(ctx, d)
	}
	rep := run(t, Options{Upstream: up.URL, Identity: id, AllowWrites: true, Journal: &journal, AdvanceUpstream: advance})
	if moved != wait || wait == 0 {
		t.Errorf("the upstream's clock moved %s, want %s: an idle probe waited instead", moved, wait)
	}

	if diff := cmp.Diff(differOnBoth, withOutcome(rep, Differ)); diff != "" {
		t.Errorf("probes that differ (-want +got):\n%s", diff)
	}
	if got := append(withOutcome(rep, Failed), withOutcome(rep, Skipped)...); len(got) != 0 {
		t.Errorf("probes in error or skipped: %v", got)
	}
	// Overrides of one endpoint stay so; those of every endpoint are
	// written once, as are those only one endpoint probes.
	if diff := cmp.Diff(overrides, rep.Overrides); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}

	// The journal holds every upstream exchange, as the upstream saw them,
	// with the UserSig redacted.
	received := up.Requests(mockserver.ExchangeFilter{})
	lines := journalLines(t, journal.Bytes())
	if len(lines) != len(received) || len(lines) != rep.Summary.Requests || len(rep.Exchanges) != len(lines) {
		t.Fatalf("journal has %d lines, report %d exchanges (summary %d), upstream received %d",
			len(lines), len(rep.Exchanges), rep.Summary.Requests, len(received))
	}
	for i, e := range lines {
		u, err := url.Parse(e.URL)
		if err != nil {
			t.Fatalf("journal line %d: %v", i+1, err)
		}
		if u.Path != received[i].Path || e.Status != received[i].Status {
			t.Errorf("journal line %d: %s %d, upstream saw %s %d", i+1, u.Path, e.Status, received[i].Path, received[i].Status)
		}
		if sig := u.Query().Get("usersig"); sig != "" && sig != redacted {
			t.Errorf("journal line %d: usersig %q is not redacted", i+1, sig)
		}
	}
	if bytes.Contains(journal.Bytes(), []byte(id.SecretKey)) {
		t.Error("the journal holds the secret key")
	}
}

func TestWrittenConfigGivesParity(t *testing.T) {
	overrides := map[codes.Check]codes.Override{
		codes.CheckUserSigExpired:         {Code: 20002},
		v1(codes.CheckBodySchema):         {Info: "Bad body."},
		v2(codes.CheckBodySchema):         {Code: 90002, Info: "Bad v2 body."},
		codes.CheckRandom:                 {Code: 60003},
		codes.CheckSessionNotFound:        {Code: 141004, Info: "No such session."},
		v2(codes.CheckSessionIDMalformed): {Info: "Illegal SessionId"},
		codes.CheckStreamIdleEnded:        {Code: 141005},
		codes.CheckMessageTooLarge:        {Code: 90002},
		codes.CheckAccountMalformed:       {Code: 90002},
		group(codes.CheckMsgKeyUnknown):   {Code: 10004},
		codes.CheckRobotUnknown:           {Code: 10008},
		codes.EndpointCheck(mockserver.Chatbot, codes.CheckMsgKeyUnknown): {Info: "MsgKey is unknown."},
	}
	up, id := startUpstream(t, overrides)
	opts := Options{Upstream: up.URL, Identity: id, AllowWrites: true, AdvanceUpstream: advancing(up)}
	first := run(t, opts)
	if first.Summary.Parity {
		t.Fatalf("first run: %+v, want differences", first.Summary)
	}
	if diff := cmp.Diff(overrides, first.Overrides); diff != "" {
		t.Fatalf("first run: overrides (-want +got):\n%s", diff)
	}
	var file bytes.Buffer
	if err := WriteConfig(&file, first, id); err != nil {
		t.Fatal(err)
	}
	text := file.String()
	for _, probe := range []string{"v1/usersig-expired", "v1/body-schema", "v2/body-schema", "v1/random", "v1/session-not-found", "v2/sessionid-malformed", "v2/stream-idle-ended", "c2c/account-malformed", "group/msgkey-unknown", "delete_robot/robot-unknown", "chatbot/msgkey-unknown"} {
		if !strings.Contains(text, "# probe "+probe+" ") {
			t.Errorf("the config names no probe %s:\n%s", probe, text)
		}
	}
	cfg, err := mockserver.ParseConfig("calibrated.yaml", file.Bytes())
	if err != nil {
		t.Fatalf("the written config does not load: %v\n%s", err, text)
	}
	if diff := cmp.Diff(overrides, cfg.Codes); diff != "" {
		t.Errorf("codes of the written config (-want +got):\n%s", diff)
	}
	opts.Mock = &cfg
	beginLive(t, up)
	again := run(t, opts)
	if !again.Summary.Parity || again.Summary.Match != again.Summary.Probes || len(again.Overrides) != len(overrides) {
		var b bytes.Buffer
		WriteConsole(&b, again)
		t.Errorf("re-run with the written config is not at parity:\n%s", b.String())
	}
}

func TestUpstreamFailuresAreReportedPerProbe(t *testing.T) {
	id := Identity{SDKAppID: 1400000001, Identifier: "administrator", SecretKey: "key"}
	probes := []Probe{probeNamed(t, "v1/query"), probeNamed(t, "v1/random"), probeNamed(t, "v1/session-not-found")}
	parent := t
	release := make(chan struct{}) // lets the hanging upstream go at the end
	defer close(release)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		want    string
	}{
		{"html 502", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
		}, 5 * time.Second, "upstream: HTTP 502 Bad Gateway (text/html): <html><body><h1>502 Bad Gateway</h1></body></html>"},
		{"html 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>maintenance</html>"))
		}, 5 * time.Second, "upstream: the reply is not JSON (text/html): <html>maintenance</html>"},
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, 100 * time.Millisecond, "upstream: timeout: no whole reply within 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := httptest.NewServer(tt.handler)
			parent.Cleanup(up.Close) // after release, which the hanging handler waits for
			rep := run(t, Options{Upstream: up.URL, Identity: id, Probes: probes, Timeout: tt.timeout})
			for _, r := range rep.Results {
				if r.Outcome != Failed || r.Note != tt.want {
					t.Errorf("%s: %s %q, want error %q", r.Probe, r.Outcome, r.Note, tt.want)
				}
				if !r.Mock.OK() {
					t.Errorf("%s: the mock's answer is missing: %+v", r.Probe, r.Mock)
				}
			}
			if rep.Summary.Parity || rep.Summary.Failed != len(probes) {
				t.Errorf("summary %+v", rep.Summary)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		up := httptest.NewServer(http.NotFoundHandler())
		base := up.URL
		up.Close()
		rep := run(t, Options{Upstream: base, Identity: id, Probes: probes[:1]})
		if r := rep.Results[0]; r.Outcome != Failed || !strings.Contains(r.Note, "connection refused") || strings.Contains(r.Note, "usersig") {
			t.Errorf("%s: %s %q", r.Probe, r.Outcome, r.Note)
		}
	})
}

// A live probe runs only with writes allowed and every live name it uses
// given; no request reaches a conversation not given, and the chatbot
// the probes create is deleted again.
func TestLiveProbesNeedTheirConversationAndWrites(t *testing.T) {
	up, full := startUpstream(t, nil)
	for _, tt := range []struct {
		name                           string
		session, account, group, robot string
		allowWrites                    bool
		live                           []Live // the names given, whose probes run
	}{
		{"default", "", "", "", "", false, nil},
		{"session only", liveSession, "", "", "", false, nil},
		{"all without writes", liveSession, liveAccount, liveGroup, liveRobot, false, nil},
		{"writes only", "", "", "", "", true, nil},
		{"session", liveSession, "", "", "", true, []Live{LiveSession}},
		{"account", "", liveAccount, "", "", true, []Live{LiveAccount}},
		{"group", "", "", liveGroup, "", true, []Live{LiveGroup}},
		{"robot", "", "", "", liveRobot, true, []Live{LiveRobot}},
		{"account and robot", "", liveAccount, "", liveRobot, true, []Live{LiveAccount, LiveRobot}},
		{"all", liveSession, liveAccount, liveGroup, liveRobot, true, []Live{LiveSession, LiveAccount, LiveGroup, LiveRobot}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := full
			id.Session, id.Account, id.Group, id.Robot = tt.session, tt.account, tt.group, tt.robot
			opts := Options{Upstream: up.URL, Identity: id, AllowWrites: tt.allowWrites, AdvanceUpstream: advancing(up)}
			announced := map[string]bool{}
			for _, p := range LiveProbes(opts) {
				announced[p.Name] = true
			}
			up.ClearRequests()
			beginLive(t, up)
			rep := run(t, opts)
			for _, e := range up.Requests(mockserver.ExchangeFilter{}) {
				for _, c := range []struct {
					kind Live
					name string
				}{{LiveSession, liveSession}, {LiveAccount, liveAccount}, {LiveGroup, liveGroup}, {LiveRobot, liveRobot}, {"", CalibrateRobot}} {
					given := slices.Contains(tt.live, c.kind) || (c.kind == "" && tt.allowWrites)
					if strings.Contains(e.Body, `"`+c.name+`"`) && !given {
						t.Errorf("a request reached the live %q: %s", c.name, textcut.Cut(e.Body, 200))
					}
				}
			}
			for i, p := range Probes() {
				if !p.Live {
					continue
				}
				runs := tt.allowWrites
				for _, kind := range p.needs() {
					runs = runs && slices.Contains(tt.live, kind)
				}
				if skipped := rep.Results[i].Outcome == Skipped; skipped == runs || announced[p.Name] != runs {
					t.Errorf("%s: %s (announced %v), want it to run: %v", p.Name, rep.Results[i].Outcome, announced[p.Name], runs)
				}
				for _, kind := range p.needs() {
					if !runs && !strings.Contains(rep.Results[i].Note, liveFlags[kind]) {
						t.Errorf("%s: note %q does not name %s", p.Name, rep.Results[i].Note, liveFlags[kind])
					}
				}
				if !runs && !strings.HasSuffix(rep.Results[i].Note, " --allow-writes") {
					t.Errorf("%s: note %q does not name --allow-writes", p.Name, rep.Results[i].Note)
				}
			}
			if !rep.Summary.Parity {
				t.Errorf("summary %+v", rep.Summary)
			}
			for _, r := range up.Robots() {
				if r.UserID == CalibrateRobot && r.State == mockserver.RobotValid {
					t.Errorf("the run left %s on the upstream", CalibrateRobot)
				}
			}
		})
	}
}

// The default cap leaves room for every probe, preparing calls included.
func TestDefaultCapFitsEveryProbe(t *testing.T) {
	n := 0
	for _, p := range Probes() {
		n += 1 + p.Burst
		for _, more := range []string{p.Setup, p.After} {
			if more != "" {
				n++
			}
		}
	}
	if n > DefaultMaxRequests {
		t.Errorf("the probes send %d requests, over the default cap of %d", n, DefaultMaxRequests)
	}
}

// A live account or group that the mock's configuration would refuse is
// refused at once, naming its flag.
func TestCheckLive(t *testing.T) {
	for _, tt := range []struct {
		id   Identity
		want string // "" for no error
	}{
		{Identity{}, ""},
		{Identity{Account: liveAccount, Group: liveGroup}, ""},
		{Identity{Account: TooLongAccount}, `--account "` + TooLongAccount + `": account`},
		{Identity{Group: TooLongGroupID}, `--group "` + TooLongGroupID + `": `},
		{Identity{From: TooLongAccount}, `--from "` + TooLongAccount + `": account`},
		{Identity{Robot: liveRobot}, ""},
		{Identity{Robot: NotRobotID}, `--robot "` + NotRobotID + `": "` + NotRobotID + `" does not start with @RBT#`},
		{Identity{Robot: "@RBT#" + TooLongAccount[5:] + "x"}, `--robot "@RBT#`},
	} {
		err := tt.id.CheckLive()
		if got := fmt.Sprint(err); (tt.want == "") != (err == nil) || (err != nil && !strings.HasPrefix(got, tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.id, err, tt.want)
		}
	}
}

func TestTotalCapSkipsTheRest(t *testing.T) {
	up, id := startUpstream(t, nil)
	rep := run(t, Options{Upstream: up.URL, Identity: id, MaxRequests: 3, Probes: v1Probes})
	if n := len(up.Requests(mockserver.ExchangeFilter{})); n != 3 {
		t.Errorf("upstream received %d requests, want 3", n)
	}
	if rep.Summary.Match != 3 || rep.Results[3].Outcome != Skipped || !strings.Contains(rep.Results[3].Note, "cap of 3") {
		t.Errorf("summary %+v, probe 4: %s %q", rep.Summary, rep.Results[3].Outcome, rep.Results[3].Note)
	}
}

func TestPacing(t *testing.T) {
	up, id := startUpstream(t, nil)
	start := time.Now()
	run(t, Options{Upstream: up.URL, Identity: id, Rate: 20, Probes: v1Probes[:5]})
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("5 requests at 20/s took %s, want at least 200ms", took)
	}
}

func TestPlanRedactsAndSendsNothing(t *testing.T) {
	id := Identity{SDKAppID: 1400000001, Identifier: "administrator", SecretKey: "plan-secret"}
	plan, err := Plan(Options{Upstream: "http://127.0.0.1:1", Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WritePlan(&b, "http://127.0.0.1:1", plan)
	out := b.String()
	if strings.Contains(out, "plan-secret") || strings.Contains(out, "usersig=eJ") || strings.Contains(out, "usersig=eAE") {
		t.Errorf("the plan shows a secret:\n%s", out)
	}
	if n := strings.Count(out, "usersig=REDACTED"); n < len(v1Probes)-2 {
		t.Errorf("%d redacted UserSigs in the plan, want one per probe:\n%s", n, out)
	}
	for _, want := range []string{
		"needs --session ID --allow-writes",
		"needs --account USER --robot ID --allow-writes",
		"creates the chatbot " + CalibrateRobot + ": needs --allow-writes",
		// The probes that create a chatbot say how they delete it.
		`then, to undo what it wrote, calls ` + DeleteRobot.Path + ` with {"Robot_Account":"` + CalibrateRobot + `"}`,
		`first calls ` + CreateRobot.Path + ` with {"UserID":"` + CalibrateRobot + `"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %q:\n%s", want, out)
		}
	}
}

// planText returns what a dry run of id prints.
func planText(t *testing.T, id Identity) string {
	t.Helper()
	plan, err := Plan(Options{Upstream: "http://127.0.0.1:1", Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WritePlan(&b, "http://127.0.0.1:1", plan)
	return b.String()
}

// The plan says the size of each body as sent, however much of it it
// shows: the oversize probes' padding included.
func TestPlanSaysTheRealBodySize(t *testing.T) {
	out := planText(t, Identity{SDKAppID: 1400000001, Identifier: "administrator", SecretKey: "plan-secret", Session: "fd8a2e30-54de-4e40-bcaf-02718409c5cf"})
	for _, tc := range []struct{ probe, size string }{
		{"v1/body-too-large", "body (24576 bytes, 24 KiB): "},
		{"v2/body-too-large", "body (307200 bytes, 300 KiB): "},
		{"v2/message-too-large", "body (131584 bytes, 128.5 KiB): "},
		{"v1/body-schema", "body (52 bytes): {"},
	} {
		_, rest, ok := strings.Cut(out, "\n"+tc.probe+"  ")
		if !ok {
			t.Errorf("the plan has no probe %s:\n%s", tc.probe, out)
			continue
		}
		if next := strings.Index(rest, "\n\n"); next >= 0 {
			rest = rest[:next]
		}
		if !strings.Contains(rest, tc.size) || strings.Contains(rest, "bytes in all") {
			t.Errorf("probe %s: the plan says\n%s\nwant %q, and no other size", tc.probe, rest, tc.size)
		}
	}
}

func TestProbesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	known := map[codes.Check]bool{}
	for _, r := range codes.Defaults() {
		known[r.Check] = true
	}
	for _, p := range Probes() {
		if seen[p.Name] {
			t.Errorf("probe %s is listed twice", p.Name)
		}
		seen[p.Name] = true
		if !strings.HasPrefix(p.Name, p.API.Name+"/") {
			t.Errorf("probe %s: name does not start with %s/", p.Name, p.API.Name)
		}
		if p.Check != "" && !known[p.Check] {
			t.Errorf("probe %s: check %q is not in the table", p.Name, p.Check)
		}
		text := p.Body + p.Setup + p.BurstBody + p.After
		if uses := strings.Contains(text, PhLive) || strings.Contains(text, PhRobot) || strings.Contains(text, PhNewRobot); uses != p.Live {
			t.Errorf("probe %s: uses a live name %v, marked live %v", p.Name, uses, p.Live)
		}
	}
	// Every row that an API runs is probed on it, or said to be unprobed,
	// or (on v2) shared with v1 and probed there.
	covered := map[string]bool{}
	for _, p := range Probes() {
		covered[p.API.Name+"/"+string(p.Check)] = true
	}
	apis := []API{V1, V2, C2C, Group, Chatbot, CreateRobot, DeleteRobot, GetAllRobots, SessionState, ChatMessages, CDRList, Transfer, EndSession, EndQueuing, SendMsg}
	for _, u := range UnprobedRows() {
		for _, api := range apis {
			if u.API == "" || u.API == api.Name {
				covered[api.Name+"/"+string(u.Check)] = true
			}
		}
	}
	// A shared check is probed on v1 only, but where an API has a
	// default of its own for it.
	for _, c := range sharedChecks {
		if !covered["v1/"+string(c)] {
			t.Errorf("check %s is shared with v1 but has no v1 probe", c)
		}
		for _, api := range apis {
			if ownDefault(api.Name, c) && !covered[api.Name+"/"+string(c)] {
				t.Errorf("check %s has a default of its own on %s but no probe there", c, api.Name)
			}
			covered[api.Name+"/"+string(c)] = true
		}
	}
	for _, api := range apis {
		for _, r := range codes.Defaults() {
			if (len(r.Endpoints) == 0 || slices.Contains(r.Endpoints, api.Name)) && !covered[api.Name+"/"+string(r.Check)] {
				t.Errorf("row %s of %s has no probe and no reason", r.Check, api.Name)
			}
		}
	}
}

func TestConsoleReportGolden(t *testing.T) {
	up, id := startUpstream(t, map[codes.Check]codes.Override{
		codes.CheckUserSigExpired:  {Code: 20002},
		codes.CheckNotAdmin:        {Code: 60010},
		codes.CheckSessionNotFound: {Info: "Session is gone."},
		v2(codes.CheckBodySchema):  {Code: 90002},
	})
	// Without a live session: the probes that write are skipped.
	rep := run(t, Options{Upstream: up.URL, Identity: id})
	rep.Upstream = "https://upstream.example"
	var b bytes.Buffer
	WriteConsole(&b, rep)
	golden(t, "console.golden", b.String())

	var cfg bytes.Buffer
	id.SecretKey = "the-secret-key"
	if err := WriteConfig(&cfg, rep, id); err != nil {
		t.Fatal(err)
	}
	golden(t, "config.golden.yaml", cfg.String())

	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DIFFERENCES", "v1/usersig-expired", "code 20002", "v2/body-schema: code 90002", ".verdict"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	var doc bytes.Buffer
	if err := WriteJSON(&doc, rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(doc.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Overrides, back.Overrides); diff != "" {
		t.Errorf("JSON overrides (-want +got):\n%s", diff)
	}
}

// probeNamed returns the probe of a name.
func probeNamed(t *testing.T, name string) Probe {
	t.Helper()
	for _, p := range Probes() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no probe %s", name)
	return Probe{}
}

// onlyAPI keeps the probe names of one API.
func onlyAPI(names []string, api API) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, api.Name+"/") {
			out = append(out, n)
		}
	}
	return out
}

// mockServes reports whether this build's mock answers an API's path.
func mockServes(t *testing.T, api API) bool {
	t.Helper()
	ts := mockserver.NewTestServer(t)
	r := &runner{opts: Options{Timeout: 5 * time.Second, Client: http.DefaultClient}, mock: ts}
	return r.mockServes(context.Background(), api)
}

// journalLines decodes a journal.
func journalLines(t *testing.T, b []byte) []Exchange {
	t.Helper()
	var out []Exchange
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e Exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %d: %v", len(out)+1, err)
		}
		out = append(out, e)
	}
	return out
}

// golden compares got with the golden file name, or rewrites it under
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join(goldenDir, name), got, *update)
}

// TestREADMEExampleIsARealReport keeps the README's example report true:
// each of its lines is a line of the golden console report.
func TestREADMEExampleIsARealReport(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "## Is deskmock right about the real service?")
	_, example, ok2 := strings.Cut(sec, "```text\n")
	example, _, ok3 := strings.Cut(example, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no example report under \"Is deskmock right about the real service?\"")
	}
	report, err := os.ReadFile(filepath.Join(goldenDir, "console.golden"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(report), "\n") {
		lines[l] = true
	}
	for _, l := range strings.Split(example, "\n") {
		if l != "" && !lines[l] {
			t.Errorf("README example line is not in %s:\n%s", "console.golden", l)
		}
	}
}

// Each probe's own call fails, on a deskmock upstream, exactly the check it
// is written for; its Setup and burst calls pass.
func TestEveryProbeProvokesItsCheck(t *testing.T) {
	for _, from := range []string{"", sender} {
		t.Run("from="+from, func(t *testing.T) {
			up, id := startUpstream(t, nil)
			id.From = from
			rep := run(t, Options{Upstream: up.URL, Identity: id, AllowWrites: true, AdvanceUpstream: advancing(up)})
			received := up.Requests(mockserver.ExchangeFilter{})
			if len(received) != len(rep.Exchanges) {
				t.Fatalf("the upstream received %d requests, the report has %d", len(received), len(rep.Exchanges))
			}
			want := map[string]codes.Check{}
			for _, p := range Probes() {
				want[p.Name] = p.Check
			}
			for i, e := range rep.Exchanges {
				got := received[i].Check
				switch {
				case e.Setup && got != "":
					t.Errorf("%s: a preparing call failed %s", e.Probe, got)
				case !e.Setup && got != want[e.Probe]:
					t.Errorf("%s: failed check %q, want %q", e.Probe, got, want[e.Probe])
				}
				// The native probes are sent by --from, save those about
				// From_Account.
				native := strings.HasPrefix(e.Probe, "c2c/") || strings.HasPrefix(e.Probe, "group/")
				sent := strings.Contains(e.Body, `"From_Account":"`+from+`"`)
				if aboutFrom := strings.HasPrefix(e.Probe, "group/account-"); native && !aboutFrom && sent != (from != "") {
					t.Errorf("%s: From_Account %q sent: %v\n%s", e.Probe, from, sent, textcut.Cut(e.Body, 200))
				}
			}
			if s := rep.Summary; !s.Parity || s.Match != len(Probes()) {
				t.Errorf("summary %+v", s)
			}
		})
	}
}

// The probe of the rate rule sends its six calls within one second even
// at the default rate, and the probes after it are paced again.
func TestRateProbeAloneBreaksThePacing(t *testing.T) {
	up, id := startUpstream(t, nil)
	probes := []Probe{probeNamed(t, "v2/stream-rate"), probeNamed(t, "v2/session-not-found")}
	rep := run(t, Options{Upstream: up.URL, Identity: id, AllowWrites: true, Rate: DefaultRate, Probes: probes})
	if r := rep.Results[0]; r.Outcome != Match || r.Upstream.Code != up.Rules()[ruleIndex(t, codes.CheckStreamRate)].Code {
		t.Fatalf("%s: %s %+v %q", r.Probe, r.Outcome, r.Upstream, r.Note)
	}
	calls := up.Requests(mockserver.ExchangeFilter{})
	if len(calls) != 7 {
		t.Fatalf("the upstream received %d requests, want 6 + 1", len(calls))
	}
	if d := calls[5].Time.Sub(calls[0].Time); d >= time.Second {
		t.Errorf("the six calls took %s, want them within a second", d)
	}
	if d := calls[6].Time.Sub(calls[5].Time); d < time.Second/DefaultRate-20*time.Millisecond {
		t.Errorf("the next probe came %s after the burst, want a paced gap of %s", d, time.Second/DefaultRate)
	}
}

// ruleIndex is the place of a check in the table.
func ruleIndex(t *testing.T, c codes.Check) int {
	t.Helper()
	for i, r := range codes.Defaults() {
		if r.Check == c {
			return i
		}
	}
	t.Fatalf("no rule %s", c)
	return 0
}

// A probe with Wait sends its call that long after its Setup call with the
// Setup's MsgKey: the upstream is waited for, the local mock's clock moved.
func TestWaitBetweenSetupAndCall(t *testing.T) {
	up, id := startUpstream(t, nil)
	gap := Probe{Name: "v1/gap", API: V1, What: "a second chunk after a pause", Live: true, Wait: 100 * time.Millisecond,
		Setup: `{"SessionId":"${live}","Chunk":"first, "}`,
		Body:  `{"SessionId":"${live}","Chunk":"second","MsgKey":"${msgkey}","Finish":1}`}
	start := time.Now()
	rep := run(t, Options{Upstream: up.URL, Identity: id, AllowWrites: true, Probes: []Probe{gap}})
	if took := time.Since(start); took < gap.Wait {
		t.Errorf("took %s, want at least %s (the wait on the upstream)", took, gap.Wait)
	}
	if r := rep.Results[0]; r.Outcome != Match || r.Upstream.Code != 0 {
		t.Errorf("%s: %s %+v %q", r.Probe, r.Outcome, r.Upstream, r.Note)
	}
	calls := up.Requests(mockserver.ExchangeFilter{SessionID: liveSession})
	if len(calls) != 2 || calls[1].Time.Sub(calls[0].Time) < gap.Wait || calls[1].MsgKey != calls[0].MsgKey {
		t.Errorf("the upstream saw %d calls on the session: %+v", len(calls), calls)
	}
}

// A mock configuration with another key or administrator still gets the
// app of the identity, so that only its code overrides count.
func TestMockConfigTakesTheIdentitysApp(t *testing.T) {
	up, id := startUpstream(t, nil)
	cfg := mockserver.DefaultConfig()
	cfg.Apps[0].SecretKey = "another-key"
	cfg.Apps[0].Admins = []string{"someone-else"}
	rep := run(t, Options{Upstream: up.URL, Identity: id, Mock: &cfg, Probes: v1Probes})
	if !rep.Summary.Parity {
		var b bytes.Buffer
		WriteConsole(&b, rep)
		t.Errorf("not at parity:\n%s", b.String())
	}
}

// The probes that write to the chatbot APIs undo what they wrote: every
// chatbot stream they open ends, the chatbot they create is deleted; the
// calls that prepare and undo go where the probe says, and the list's
// members are compared.
func TestChatbotProbesCleanUp(t *testing.T) {
	up, id := startUpstream(t, nil)
	var probes []Probe
	for _, ps := range [][]Probe{chatbotProbes, createRobotProbes, deleteRobotProbes, getAllRobotsProbes} {
		probes = append(probes, ps...)
	}
	rep := run(t, Options{Upstream: up.URL, Identity: id, AllowWrites: true, Probes: probes})
	if s := rep.Summary; !s.Parity || s.Match != len(probes) {
		t.Fatalf("summary %+v", s)
	}
	for _, s := range up.Streams() {
		if s.State == mockserver.StreamOpen {
			t.Errorf("stream %s of %s was left open", s.MsgKey, s.Conversation)
		}
	}
	for _, r := range up.Robots() {
		if r.UserID == CalibrateRobot && r.State != mockserver.RobotDeleted {
			t.Errorf("%s was left %s", CalibrateRobot, r.State)
		}
	}
	paths := map[string][]string{} // probe → the paths of its calls, in order
	for _, e := range rep.Exchanges {
		u, err := url.Parse(e.URL)
		if err != nil {
			t.Fatal(err)
		}
		paths[e.Probe] = append(paths[e.Probe], u.Path)
	}
	for _, tc := range []struct {
		probe string
		want  []string
	}{
		{"create_robot/create", []string{CreateRobot.Path, DeleteRobot.Path}},
		{"create_robot/create-again", []string{CreateRobot.Path, CreateRobot.Path, DeleteRobot.Path}},
		{"delete_robot/delete", []string{CreateRobot.Path, DeleteRobot.Path}},
		{"chatbot/first-chunk-open", []string{Chatbot.Path, Chatbot.Path}},
		{"get_all_robots/list", []string{GetAllRobots.Path}},
	} {
		if diff := cmp.Diff(tc.want, paths[tc.probe]); diff != "" {
			t.Errorf("%s: paths (-want +got):\n%s", tc.probe, diff)
		}
	}
	for _, r := range rep.Results {
		if r.Probe == "get_all_robots/list" && (r.Upstream.Members != "Robot_Account:array" || r.Mock.Members != r.Upstream.Members) {
			t.Errorf("%s: members upstream %q, mock %q", r.Probe, r.Upstream.Members, r.Mock.Members)
		}
	}
}

// The probes of Desk's calls that write: without --allow-writes only their
// refusals run, and nothing reaches the live session; with it, the live
// probes walk the live session through its life on both sides alike
// (messages, a transfer to the agent, its end), each answering as its
// What says.
func TestDeskWriteProbesLiveTheSessionsLife(t *testing.T) {
	probes := slices.Concat(sendMsgProbes, endQueuingProbes, transferProbes, endSessionProbes)
	var live []string
	for _, p := range probes {
		if p.Live {
			live = append(live, p.Name)
		}
	}
	for _, writes := range []bool{false, true} {
		t.Run(fmt.Sprint("writes=", writes), func(t *testing.T) {
			up, id := startUpstream(t, nil)
			rep := run(t, Options{Upstream: up.URL, Identity: id, AllowWrites: writes, Probes: probes})
			var skipped []string
			for _, r := range rep.Results {
				switch {
				case r.Outcome == Skipped:
					skipped = append(skipped, r.Probe)
					if !strings.HasSuffix(r.Note, "--allow-writes") {
						t.Errorf("%s: skipped with note %q, which names no --allow-writes", r.Probe, r.Note)
					}
				case r.Outcome != Match:
					t.Errorf("%s: %s, upstream %+v, mock %+v", r.Probe, r.Outcome, r.Upstream, r.Mock)
				}
			}
			wantSkipped, wantState := live, mockserver.DeskChatbot
			if writes {
				wantSkipped, wantState = nil, mockserver.DeskNotInSession
			}
			if d := cmp.Diff(wantSkipped, skipped); d != "" {
				t.Errorf("skipped probes (-want +got):\n%s", d)
			}
			life := up.DeskSession(liveSession)
			if life.CurrentState != wantState {
				t.Errorf("the live session is %s, want %s", life.CurrentState, wantState)
			}
			var events []string
			for _, e := range life.Events {
				events = append(events, e.Event)
			}
			wantEvents := []string{mockserver.EventSessionBegin}
			if writes {
				wantEvents = append(wantEvents, mockserver.EventRobotSendMsg, mockserver.EventRobotSendMsg,
					mockserver.EventTransferStarted, mockserver.EventTransferred, mockserver.EventSessionEnded)
			}
			if d := cmp.Diff(wantEvents, events); d != "" {
				t.Errorf("the live session's events (-want +got):\n%s", d)
			}
			for _, r := range rep.Results {
				if r.Probe == "transfer_to_human/transfer" && writes && (r.Upstream.Members != "AgentId:string IsInQueue:number" || r.Mock.Members != r.Upstream.Members) {
					t.Errorf("%s: members upstream %q, mock %q", r.Probe, r.Upstream.Members, r.Mock.Members)
				}
			}
		})
	}
}
