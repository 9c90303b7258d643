package codes

import (
	"strings"
	"testing"
)

func TestEveryRuleNamesACatalogueCode(t *testing.T) {
	seen := map[Check]bool{}
	for _, r := range Defaults() {
		if seen[r.Check] {
			t.Errorf("check %s listed twice", r.Check)
		}
		seen[r.Check] = true
		e, ok := Lookup(r.Code)
		if !ok || e.Info != r.Info {
			t.Errorf("check %s: code %d text %q, catalogue %q", r.Check, r.Code, r.Info, e.Info)
		}
		if r.Documented && e.Source != documentedSource(r) {
			t.Errorf("check %s is marked documented but %d is not in the table of %s", r.Check, r.Code, documentedSource(r))
		}
	}
}

// An endpoint's own default names a catalogue code, of the table of its
// API when it is marked documented, and replaces a check its endpoint runs.
func TestEveryVariantNamesACatalogueCode(t *testing.T) {
	common := map[Check]Rule{}
	for _, r := range Defaults() {
		common[r.Check] = r
	}
	for _, r := range Variants() {
		e, ok := Lookup(r.Code)
		if !ok || e.Info != r.Info || len(r.Endpoints) == 0 {
			t.Errorf("variant %s %v: code %d text %q, catalogue %q", r.Check, r.Endpoints, r.Code, r.Info, e.Info)
		}
		if r.Documented && e.Source != documentedSource(r) {
			t.Errorf("variant %s %v is marked documented but %d is not in the table of %s", r.Check, r.Endpoints, r.Code, documentedSource(r))
		}
		c, ok := common[r.Check]
		for _, ep := range r.Endpoints {
			if !ok || len(c.Endpoints) > 0 && !contains(c.Endpoints, ep) {
				t.Errorf("variant %s for %s: the endpoint does not run the check", r.Check, ep)
			}
		}
	}
}

// documentedSource is the table a documented rule's code must come from:
// the chatbot APIs' for their rows, the Desk REST page's for the Desk
// endpoints around a stream, else the Desk stream's.
func documentedSource(r Rule) Source {
	switch {
	case len(r.Endpoints) > 0 && !contains(r.Endpoints, desk1) && (contains(r.Endpoints, chatbot) || contains(r.Endpoints, create) || contains(r.Endpoints, remove) || contains(r.Endpoints, getAll)):
		return SourceRobot
	case len(r.Endpoints) > 0 && !contains(r.Endpoints, desk1) && contains(deskControl, r.Endpoints[0]):
		return SourceDesk
	}
	return SourceAPI
}

func TestAPICodesAreTheVendorTable(t *testing.T) {
	want := "20001 20002 20003 20004 20005 20006 90001 90002 90005 90007 90009 90010 93000 141000 141002 141004 141005 141006"
	var got []string
	for _, c := range APICodes() {
		got = append(got, itoa(c))
	}
	if strings.Join(got, " ") != want {
		t.Errorf("APICodes = %v", got)
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestNewTableOverrides(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[Check]Override
		check     Check
		wantCode  int
		wantInfo  string
		wantDoc   bool
		wantErr   string
	}{
		{"none", nil, CheckUserSigExpired, 70001, "UserSig expired. Please generate a new one.", false, ""},
		{"code from the catalogue takes its text", map[Check]Override{CheckUserSigExpired: {Code: 20002}}, CheckUserSigExpired, 20002, "UserSig or A2 invalid", false, ""},
		{"text only keeps the code", map[Check]Override{CheckSessionNotFound: {Info: "gone"}}, CheckSessionNotFound, 141005, "gone", true, ""},
		{"unknown code with text", map[Check]Override{CheckNotAdmin: {Code: 12345, Info: "x"}}, CheckNotAdmin, 12345, "x", false, ""},
		{"same code keeps documented", map[Check]Override{CheckNotAdmin: {Code: 90009}}, CheckNotAdmin, 90009, "Request requires App administrator permissions.", true, ""},
		{"unknown code without text", map[Check]Override{CheckNotAdmin: {Code: 12345}}, "", 0, "", false, "12345"},
		{"unknown check", map[Check]Override{"nope": {Code: 1}}, "", 0, "", false, `unknown check "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := NewTable(tt.overrides)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := tab.Rule(tt.check)
			if r.Code != tt.wantCode || r.Info != tt.wantInfo || r.Documented != tt.wantDoc {
				t.Errorf("rule %+v", r)
			}
			if len(tab.Rules()) != len(Defaults()) {
				t.Errorf("%d rules", len(tab.Rules()))
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	for _, e := range Catalogue() {
		want := strings.Contains(strings.ToLower(e.Info), "please retry")
		if Retryable(e.Code) != want {
			t.Errorf("Retryable(%d) = %v, text %q", e.Code, Retryable(e.Code), e.Info)
		}
	}
}

func TestNewTableEndpointOverrides(t *testing.T) {
	overrides := map[Check]Override{
		CheckBodySchema:                      {Code: 90002, Info: "every endpoint"},
		EndpointCheck("v2", CheckBodySchema): {Info: "v2 only"},
		EndpointCheck("v1", CheckNotAdmin):   {Code: 60010},
	}
	tab, err := NewTable(overrides, "v1", "v2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		endpoint string
		check    Check
		wantCode int
		wantInfo string
	}{
		{"v1", CheckBodySchema, 90002, "every endpoint"},
		{"v2", CheckBodySchema, 90002, "v2 only"}, // on top of the plain override
		{"v1", CheckNotAdmin, 60010, "The request requires App administrator permissions."},
		{"v2", CheckNotAdmin, 90009, "Request requires App administrator permissions."},
		{"", CheckNotAdmin, 90009, "Request requires App administrator permissions."},
	}
	for _, tt := range tests {
		r := tab.RuleFor(tt.endpoint, tt.check)
		if r.Code != tt.wantCode || r.Info != tt.wantInfo {
			t.Errorf("RuleFor(%q, %s) = %d %q, want %d %q", tt.endpoint, tt.check, r.Code, r.Info, tt.wantCode, tt.wantInfo)
		}
	}
	if got := tab.EndpointRules(); len(got) != 2 || len(got["v1"]) != 1 || got["v2"][0].Info != "v2 only" {
		t.Errorf("EndpointRules = %+v", got)
	}

	for _, tt := range []struct {
		name    string
		key     Check
		wantErr string
	}{
		{"unknown endpoint", "v9/body-schema", `unknown endpoint "v9"`},
		{"endpoint that does not run the check", "v1/chunk-index", "endpoint v1 does not run check chunk-index"},
		{"unknown check of an endpoint", "v2/nope", `unknown check "v2/nope"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTable(map[Check]Override{tt.key: {Code: 90002}}, "v1", "v2")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
