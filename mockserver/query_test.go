package mockserver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// queryCases are raw queries that parseIMQuery must read as net/url does.
var queryCases = []string{
	"",
	"sdkappid=1400000001&identifier=administrator&usersig=eJw*-_x&random=99&contenttype=json",
	"contenttype=json&random=1&usersig=abc&identifier=admin&sdkappid=1",
	"sdkappid=1&sdkappid=2",
	"identifier=a&sdkappid=1&identifier=b&sdkappid=2",
	"usersig&usersig=",
	"sdkappid=&identifier",
	"&&sdkappid=1&&",
	"sdkappid=1=2&identifier==x",
	"other=1&other=2&sdkappid=1",
	"SdkAppId=1&sdkappid=2",
	"sdkappid=1;identifier=a",
	"usersig=a%2Ab&identifier=%61dmin",
	"identifier=a+b&usersig=x",
	"user%73ig=x&usersig=y",
	"sdkappid=%zz&sdkappid=1",
	"identifier=%&random=1",
	"identifier=ad%E4%B8%ADmin",
	"sdkappid=1400000001&identifier=administrator&usersig=eJw%2A-_x%2A&random=99&contenttype=json",
	"usersig=a%2Ab&usersig=c",
	"other=%zz&usersig=x",
	"usersig=%zz&sdkappid=1&sdkappid=2",
	"other=a+b%20c&identifier=x+y",
	"usersig=abc%2a%2A%41%7e&identifier=%e4%b8%ad+x",
	"identifier=a&usersig=ab%4",
	"identifier=a&usersig=ab%",
	"usersig=%4g&random=1",
	"usersig=%%41",
}

// TestParseIMQueryAgreesWithNetURL holds the plain-query reader to net/url
// on every case, including those it leaves to net/url.
func TestParseIMQueryAgreesWithNetURL(t *testing.T) {
	for _, raw := range queryCases {
		checkQueryAgreement(t, raw)
	}
}

func checkQueryAgreement(t *testing.T, raw string) {
	t.Helper()
	q, v := parseIMQuery(raw)
	wantQ, wantV := parseIMQueryURL(raw)
	if diff := cmp.Diff(wantV, v, cmp.AllowUnexported(verdict{})); diff != "" {
		t.Errorf("parseIMQuery(%q) verdict (-net/url +plain):\n%s", raw, diff)
	}
	if !v.failed() && q != wantQ {
		t.Errorf("parseIMQuery(%q) = %q, net/url reads %q", raw, q, wantQ)
	}
}

func FuzzParseIMQuery(f *testing.F) {
	for _, raw := range queryCases {
		f.Add(raw)
	}
	f.Fuzz(checkQueryAgreement)
}
