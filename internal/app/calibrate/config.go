package calibrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/redact"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// WriteConfig writes the configuration that makes the mock answer like the
// upstream of rep: the app of id and rep's code overrides, each under a
// comment naming the probe that showed it and when. The text is YAML that
// `deskmock serve --config` accepts as is; WriteConfig checks so before it
// writes. It holds the secret key: the caller should keep the file private.
func WriteConfig(w io.Writer, rep *Report, id Identity) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# deskmock configuration written by deskmock calibrate at %s,\n", stamp(rep.Started))
	fmt.Fprintf(&b, "# after probing %s: the mock answers like that service.\n", rep.Upstream)
	fmt.Fprintf(&b, "# Run it with: deskmock serve --config FILE\n")
	fmt.Fprintf(&b, "# It holds the app's secret key: keep it private.\n")
	b.WriteString("apps:\n")
	fmt.Fprintf(&b, "  - sdkappid: %d\n", id.SDKAppID)
	fmt.Fprintf(&b, "    secret_key: %s\n", quote(id.SecretKey))
	fmt.Fprintf(&b, "    admins: [%s]\n", quote(id.Identifier))
	b.WriteString("    desk: true\n")

	if len(rep.Overrides) == 0 {
		b.WriteString("# No code override: the mock answered like the upstream on every probe compared.\n")
	} else {
		b.WriteString("codes:\n")
		shown := map[codes.Check]*Result{}
		for i := range rep.Results {
			if r := &rep.Results[i]; r.Override != nil {
				shown[r.OverrideKey] = r
			}
		}
		checks := make([]string, 0, len(rep.Overrides))
		for c := range rep.Overrides {
			checks = append(checks, string(c))
		}
		sort.Strings(checks)
		for _, name := range checks {
			c := codes.Check(name)
			o := rep.Overrides[c]
			if r := shown[c]; r != nil {
				fmt.Fprintf(&b, "  # probe %s at %s: %s\n", r.Probe, stamp(r.At), r.What)
				fmt.Fprintf(&b, "  #   upstream %d %s, mock %d %s\n", r.Upstream.Code, quote(r.Upstream.Info), r.Mock.Code, quote(r.Mock.Info))
				if also := alsoShown(rep, r); len(also) > 0 {
					fmt.Fprintf(&b, "  #   shown too by %s\n", strings.Join(also, ", "))
				}
			}
			fmt.Fprintf(&b, "  %s: {", name)
			sep := ""
			if o.Code != 0 {
				fmt.Fprintf(&b, "code: %d", o.Code)
				sep = ", "
			}
			if o.Info != "" {
				fmt.Fprintf(&b, "%sinfo: %s", sep, quote(o.Info))
			}
			b.WriteString("}\n")
		}
	}
	text := redact.Bytes(b.Bytes()) // an info override may quote an echo
	if _, err := mockserver.ParseConfig("calibrated.yaml", text); err != nil {
		return fmt.Errorf("calibrate: the configuration written would not load: %w", err)
	}
	if _, err := w.Write(text); err != nil {
		return fmt.Errorf("calibrate: writing the configuration: %w", err)
	}
	return nil
}

// alsoShown names the other probes that differ on the check of an
// override, on the endpoints it acts on.
func alsoShown(rep *Report, shown *Result) []string {
	endpoint, _ := codes.SplitKey(shown.OverrideKey)
	var out []string
	for _, r := range rep.Results {
		same := r.API == endpoint || (endpoint == "" && !ownDefault(r.API, r.Check))
		if r.Probe != shown.Probe && r.Check == shown.Check && r.Outcome == Differ && same {
			out = append(out, r.Probe)
		}
	}
	return out
}

// quote writes s as a YAML double-quoted scalar (a JSON string is one).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// stamp formats a time for reports and comments.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
