package calibrate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// Identity is the app and administrator the probes act as.
type Identity struct {
	// SDKAppID is the app's; Identifier one of its administrators.
	SDKAppID   uint64
	Identifier string
	// SecretKey signs the UserSigs; it is never printed nor journaled.
	SecretKey string
	// Session, Account and Group are the live conversations of the probes
	// marked Live: the Desk session of v1 and v2, the user the C2C
	// probes write to, the group the group probes write to; "" for none.
	Session, Account, Group string
	// From is the From_Account of the C2C and group probes; "" sends
	// none: the administrator sends.
	From string
	// Robot is the chatbot that sends the chatbot stream's probes that
	// write, to Account; "" for none.
	Robot string
}

// live returns the live conversation of a kind, "" when none is given.
func (id Identity) live(kind Live) string {
	switch kind {
	case LiveAccount:
		return id.Account
	case LiveGroup:
		return id.Group
	case liveFrom:
		return id.From
	case LiveRobot:
		return id.Robot
	}
	return id.Session
}

// Request is a probe made concrete: what goes on the wire.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Target is the path and query string, with the UserSig.
	Target string
	// Redacted is Target with the UserSig replaced by "REDACTED".
	Redacted string
	// Body is the request body, placeholders filled.
	Body string

	sig string // the UserSig of Target
}

// redacted stands for a UserSig wherever a request is printed or journaled.
const redacted = redact.Placeholder

// part says which of a probe's calls a request is.
type part int

const (
	// partProbe is the probe's own call, which provokes its check.
	partProbe part = iota
	// partSetup is the call that opens the stream first.
	partSetup
	// partBurst is one of the calls between the two.
	partBurst
	// partAfter is the call that undoes what the probe wrote.
	partAfter
)

// call is one request of a probe: which part, the MsgKey that fills
// PhMsgKey and the Index that fills PhIndex.
type call struct {
	part   part
	msgKey string
	index  int
}

// build makes the request of one call of probe p for id at time now. Only
// the probe's own call differs from a well-formed request (query, UserSig,
// method, path, padding): the others are ordinary calls.
func build(p Probe, id Identity, c call, now time.Time) (Request, error) {
	body, setup := p.Body, c.part != partProbe
	switch c.part {
	case partSetup:
		body = p.Setup
	case partBurst:
		body = p.BurstBody
	case partAfter:
		body = p.After
	}
	from := ""
	if id.From != "" {
		from = `,"From_Account":"` + jsonText(id.From) + `"`
	}
	body = strings.NewReplacer(PhSession, NoSuchSession, PhLive, jsonText(id.live(p.API.Live)), PhMsgKey, c.msgKey,
		PhIndex, strconv.Itoa(c.index), PhFrom, from, PhRobot, jsonText(id.Robot), PhNewRobot, CalibrateRobot).Replace(body)
	if !setup && p.PadTo > 0 {
		n := p.PadTo - (len(body) - len(PhPad))
		body = strings.Replace(body, PhPad, strings.Repeat("x", max(n, 0)), 1)
	}

	sdkappid := strconv.FormatUint(id.SDKAppID, 10)
	identifier := id.Identifier
	if p.Identifier != "" {
		identifier = p.Identifier
	}
	params := [][2]string{{"sdkappid", sdkappid}, {"identifier", identifier}, {"usersig", ""}, {"random", "" + strconv.Itoa(probeRandom(p.Name))}, {"contenttype", "json"}}
	if !setup {
		for i, kv := range params {
			if v, ok := p.Query[kv[0]]; ok {
				params[i][1] = v
			}
		}
	}
	sigApp, _ := strconv.ParseUint(params[0][1], 10, 64)
	if params[0][1] == Omit {
		sigApp = id.SDKAppID
	}
	kind := p.Sig
	if setup {
		kind = SigValid
	}
	sig, err := sign(kind, id.SecretKey, sigApp, identifier, now)
	if err != nil {
		return Request{}, fmt.Errorf("calibrate: probe %s: %w", p.Name, err)
	}
	params[2][1] = sig

	var plain, hidden []string
	for _, kv := range params {
		if kv[1] == Omit {
			continue
		}
		plain = append(plain, kv[0]+"="+url.QueryEscape(kv[1]))
		if kv[0] == "usersig" {
			hidden = append(hidden, kv[0]+"="+redacted)
		} else {
			hidden = append(hidden, kv[0]+"="+url.QueryEscape(kv[1]))
		}
	}
	path := p.path()
	switch {
	case c.part == partSetup && p.SetupPath != "":
		path = p.SetupPath
	case c.part == partAfter:
		path = p.afterPath()
	case setup:
		path = p.API.Path
	}
	method := p.method()
	if setup {
		method = "POST"
	}
	return Request{
		Method:   method,
		Target:   path + "?" + strings.Join(plain, "&"),
		Redacted: path + "?" + strings.Join(hidden, "&"),
		Body:     body,
		sig:      sig,
	}, nil
}

// jsonText is s as the inside of a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b[1 : len(b)-1])
}

// sign makes a UserSig of the given kind.
func sign(kind Sig, key string, sdkappid uint64, identifier string, now time.Time) (string, error) {
	const day = 24 * 60 * 60
	switch kind {
	case SigGarbage:
		return GarbageSig, nil
	case SigExpired:
		return usersig.Generate(key, sdkappid, identifier, 3600, now.Add(-2*time.Hour))
	case SigOtherApp:
		other, _ := strconv.ParseUint(OtherSDKAppID, 10, 64)
		if other == sdkappid {
			other++
		}
		return usersig.Generate(key, other, identifier, day, now)
	case SigOtherIdentifier:
		return usersig.Generate(key, sdkappid, OtherIdentifier, day, now)
	case SigWrongKey:
		return usersig.Generate(WrongKey, sdkappid, identifier, day, now)
	}
	return usersig.Generate(key, sdkappid, identifier, day, now)
}

// probeRandom is the random parameter of a probe: fixed per probe name, so
// that two runs send the same requests.
func probeRandom(name string) int {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return int(h >> 1)
}

// CheckLive reports a live account or group of id, its From or its Robot,
// that is not well formed, as the mock's configuration would refuse it,
// naming its flag.
func (id Identity) CheckLive() error {
	for _, c := range []struct {
		kind Live
		set  func(*mockserver.Config, string)
	}{
		{LiveAccount, func(cfg *mockserver.Config, v string) { cfg.Accounts.IDs = []string{v} }},
		{LiveGroup, func(cfg *mockserver.Config, v string) { cfg.Groups.IDs = []string{v} }},
		{liveFrom, func(cfg *mockserver.Config, v string) { cfg.Accounts.IDs = []string{v} }},
		{LiveRobot, func(cfg *mockserver.Config, v string) { cfg.Apps[0].Robots = []string{v} }},
	} {
		v := id.live(c.kind)
		if v == "" {
			continue
		}
		cfg := mockserver.DefaultConfig()
		c.set(&cfg, v)
		if err := cfg.Validate(); err != nil {
			_, why, _ := strings.Cut(err.Error(), ": ")
			flag, _, _ := strings.Cut(liveFlags[c.kind], " ")
			return fmt.Errorf("%s %q: %s", flag, v, why)
		}
	}
	return nil
}
