package conformance

import (
	"strings"
	"testing"
)

func TestDiffUsesProtocolNames(t *testing.T) {
	tests := []struct {
		name      string
		want, got any
		diff      string
	}{
		{"equal", expectedOutcome{OK: true}, expectedOutcome{OK: true}, ""},
		{"answer fields", expectedOutcome{OK: true}, expectedOutcome{ErrorCode: 20004},
			"  {\n-   \"ok\": true,\n-   \"error_code\": 0\n+   \"ok\": false,\n+   \"error_code\": 20004\n  }\n"},
		{"no HTML escaping", []string{"<b>"}, []string{"<i>"}, "  [\n-   \"<b>\"\n+   \"<i>\"\n  ]\n"},
		{"long runs elided", []string{"1", "2", "3", "4", "5", "6", "7", "8"}, []string{"1", "2", "3", "4", "5", "6", "7", "x"},
			"  ... (6 identical lines)\n    \"6\"\n    \"7\"\n-   \"8\"\n+   \"x\"\n  ]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diff(tt.want, tt.got)
			if got != tt.diff {
				t.Errorf("diff:\n%s\nwant:\n%s", got, tt.diff)
			}
			if strings.Contains(got, "conformance.") || strings.Contains(got, "{OK") {
				t.Errorf("diff names Go types: %s", got)
			}
		})
	}
}
