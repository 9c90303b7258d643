package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/schemas"
)

// queryNames are the parameters of every IM REST call, in the vendor's
// order.
var queryNames = []string{"sdkappid", "identifier", "usersig", "random", "contenttype"}

func checkInTime(ev *evidence) verdict {
	switch {
	case ev.run.Error != "" && !ev.run.TimedOut:
		return fail("", "the client did not run to its end: %s", ev.run.Error)
	case ev.run.Killed:
		return fail("", "the client was still running at the timeout; it ignored SIGTERM and was killed")
	case ev.run.TimedOut:
		return fail("", "the client was still running at the timeout and was stopped with SIGTERM")
	}
	return pass("the client ended by itself after %s", roundDuration(ev.run.Duration))
}

func checkReachedMock(ev *evidence) verdict {
	if len(ev.requests) == 0 {
		return fail("", "no request reached the mock")
	}
	return pass("%d request(s) reached the mock", len(ev.requests))
}

// perCall compares one value per call to the stream, written "#n value",
// and fails with the (-want +got) diff when they differ.
func perCall(ev *evidence, what string, include func(*call) bool, want, got func(*call) string) verdict {
	return perRequest(ev, ev.calls, what, include, want, got)
}

// perRequest is perCall over every request of the client, the Desk calls
// included.
func perRequest(ev *evidence, calls []call, what string, include func(*call) bool, want, got func(*call) string) verdict {
	var w, g, bad []string
	for i := range calls {
		c := &calls[i]
		if !include(c) {
			continue
		}
		prefix := "#" + strconv.Itoa(c.n) + " "
		w = append(w, prefix+want(c))
		g = append(g, prefix+got(c))
		if want(c) != got(c) {
			bad = append(bad, "#"+strconv.Itoa(c.n))
		}
	}
	switch {
	case len(w) == 0 && len(calls) == 0:
		return noCalls
	case len(w) == 0:
		return notApplicable("%s: no call to look at", what)
	case len(bad) == 0:
		return pass("%s: right on all %d calls", what, len(w))
	}
	return fail(diff(w, g), "%s: wrong on call %s", what, strings.Join(bad, ", "))
}

func all(*call) bool { return true }

func checkMethod(ev *evidence) verdict {
	return perRequest(ev, ev.requests, "method", all,
		func(*call) string { return http.MethodPost },
		func(c *call) string { return c.Method })
}

func checkPath(ev *evidence) verdict {
	return perRequest(ev, ev.requests, "path", all,
		func(c *call) string {
			if dc, ok := protocol.CallOf(c.desk); ok && slices.Contains(ev.in.Then, c.desk) {
				return dc.Path // a Desk call the case asks for
			}
			return ev.ep.Path
		},
		func(c *call) string { return c.Path })
}

// queryOf parses a call's raw query; the error says why it does not parse.
func queryOf(c *call) (url.Values, error) {
	return url.ParseQuery(c.Query)
}

func checkQueryParams(ev *evidence) verdict {
	want := fmt.Sprintf("sdkappid=%d identifier=%s usersig random contenttype", ev.in.SDKAppID, ev.in.Identifier)
	return perRequest(ev, ev.requests, "query parameters", all,
		func(*call) string { return want },
		func(c *call) string {
			q, err := queryOf(c)
			if err != nil {
				return "unparsable query: " + err.Error()
			}
			var parts []string
			for _, name := range queryNames {
				vals := q[name]
				switch {
				case len(vals) == 0:
					continue
				case len(vals) > 1:
					parts = append(parts, fmt.Sprintf("%s×%d", name, len(vals)))
				case name == "sdkappid" || name == "identifier":
					parts = append(parts, name+"="+vals[0])
				default:
					parts = append(parts, name)
				}
			}
			return strings.Join(parts, " ")
		})
}

func checkRandomRange(ev *evidence) verdict {
	if len(ev.requests) == 0 {
		return noCalls
	}
	var bad []string
	for i := range ev.requests {
		c := &ev.requests[i]
		q, _ := queryOf(c)
		r := q.Get("random")
		if !validRandom(r) {
			bad = append(bad, fmt.Sprintf("call #%d: random %q", c.n, r))
		}
	}
	if len(bad) > 0 {
		return fail("", "random is not a decimal integer in 0..4294967295: %s", strings.Join(bad, "; "))
	}
	return pass("random in range on all %d calls", len(ev.requests))
}

func validRandom(s string) bool {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n <= 4294967295
}

func checkRandomFresh(ev *evidence) verdict {
	if len(ev.requests) == 0 {
		return noCalls
	}
	seen := map[string][]int{}
	var order []string
	for i := range ev.requests {
		q, _ := queryOf(&ev.requests[i])
		r := q.Get("random")
		if r == "" {
			continue
		}
		if _, ok := seen[r]; !ok {
			order = append(order, r)
		}
		seen[r] = append(seen[r], ev.requests[i].n)
	}
	var bad []string
	for _, r := range order {
		if ns := seen[r]; len(ns) > 1 {
			bad = append(bad, fmt.Sprintf("random=%s on calls %s", r, joinInts(ns)))
		}
	}
	if len(bad) > 0 {
		return fail("", "random is reused: %s", strings.Join(bad, "; "))
	}
	return pass("a different random on each of %d calls", len(ev.requests))
}

func checkContentType(ev *evidence) verdict {
	return perRequest(ev, ev.requests, "contenttype", all,
		func(*call) string { return "contenttype=json" },
		func(c *call) string {
			q, _ := queryOf(c)
			return "contenttype=" + q.Get("contenttype")
		})
}

// userSigChecks are the pipeline checks that reject a UserSig.
var userSigChecks = map[codes.Check]bool{
	codes.CheckUserSigUndecodable: true,
	codes.CheckUserSigApp:         true,
	codes.CheckUserSigIdentifier:  true,
	codes.CheckUserSigExpired:     true,
	codes.CheckUserSigSignature:   true,
}

// beforeUserSig are the pipeline checks that run before the UserSig is
// verified: a request they reject tells nothing of its UserSig.
var beforeUserSig = func() map[codes.Check]bool {
	m := map[codes.Check]bool{}
	for _, r := range codes.Defaults() {
		if r.Check == codes.CheckUserSigUndecodable {
			break
		}
		m[r.Check] = true
	}
	return m
}()

func checkUserSig(ev *evidence) verdict {
	judged := 0
	var bad []string
	for i := range ev.requests {
		c := &ev.requests[i]
		if !c.pipelineRan() || beforeUserSig[c.Check] {
			continue
		}
		judged++
		if userSigChecks[c.Check] {
			bad = append(bad, fmt.Sprintf("call #%d: %d %s (%s)", c.n, c.Code, c.info, c.Check))
		}
	}
	if len(bad) > 0 {
		return fail("", "the mock rejected the UserSig: %s", strings.Join(bad, "; "))
	}
	if judged == 0 {
		return notApplicable("no request reached the mock's UserSig verification")
	}
	return pass("the mock accepted the UserSig on all %d calls it verified", judged)
}

func checkBodySchema(ev *evidence) verdict {
	var bad []string
	checked := 0
	for i := range ev.requests {
		c := &ev.requests[i]
		if c.stray || !c.bodyKnown {
			continue
		}
		checked++
		dec := json.NewDecoder(bytes.NewReader([]byte(c.Body)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			bad = append(bad, fmt.Sprintf("call #%d: not JSON: %v", c.n, err))
			continue
		}
		if dec.More() {
			bad = append(bad, fmt.Sprintf("call #%d: data after the JSON value", c.n))
			continue
		}
		name := ev.ep.Name
		if c.desk != "" {
			name = c.desk
		}
		if err := schemas.Must(requestSchemas[name]).Validate(v); err != nil {
			bad = append(bad, fmt.Sprintf("call #%d: %s", c.n, schemaMessage(err)))
		}
	}
	switch {
	case len(bad) > 0:
		return fail("", "%s", strings.Join(bad, "; "))
	case checked == 0:
		return notApplicable("no body to look at")
	}
	return pass("all %d bodies the mock kept are valid", checked)
}

// requestSchemas are the request schemas of the endpoints, by name.
var requestSchemas = map[string]string{
	protocol.VersionV1:        schemas.RequestFile,
	protocol.VersionV2:        schemas.RequestV2File,
	protocol.VersionC2C:       schemas.RequestC2CFile,
	protocol.VersionGroup:     schemas.RequestGroupFile,
	protocol.VersionChatbot:   schemas.RequestChatbotFile,
	protocol.CallTransfer:     schemas.RequestTransferFile,
	protocol.CallSessionState: schemas.RequestSessionStateFile,
}

// schemaMessage flattens a validation error into "/pointer: message"
// leaves.
func schemaMessage(err error) string {
	return schemas.Describe(err, "(body)", ", ")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = "#" + strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
