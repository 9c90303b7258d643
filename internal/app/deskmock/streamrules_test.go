package deskmock

import (
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

func TestStreamRuleFlags(t *testing.T) {
	tests := []struct {
		flags   []string
		version string
		want    mockserver.StreamRules
		err     string
	}{
		{[]string{"v1.idle_timeout=15s", "v1.calls_per_second=5"}, "v1", mockserver.StreamRules{IdleTimeout: 15 * time.Second, RefuseAfterEnd: true, CallsPerSecond: 5}, ""},
		{[]string{"v2.idle_timeout=off", "v2.max_message_bytes=0", "v2.refuse_after_end=false"}, "v2", mockserver.StreamRules{CallsPerSecond: 5}, ""},
		{[]string{"v2.calls_per_second=1", "v2.calls_per_second=2"}, "v2", mockserver.StreamRules{IdleTimeout: 15 * time.Second, RefuseAfterEnd: true, CallsPerSecond: 2, MaxMessageBytes: 128 * 1024}, ""},
		{[]string{"chatbot.app_calls_per_second=0", "chatbot.idle_timeout=1m"}, "chatbot", mockserver.StreamRules{IdleTimeout: time.Minute, RefuseAfterEnd: true}, ""},
		{[]string{"get_all_robots.app_calls_per_second=5"}, "get_all_robots", mockserver.StreamRules{AppCallsPerSecond: 5}, ""},
		{[]string{"chatbot.app_calls_per_second=-1"}, "", mockserver.StreamRules{}, "app_calls_per_second: -1"},
		{[]string{"v1.idle_timeout"}, "", mockserver.StreamRules{}, "want VERSION.RULE=VALUE"},
		{[]string{"idle_timeout=1s"}, "", mockserver.StreamRules{}, "want VERSION.RULE=VALUE"},
		{[]string{"v1.speed=1"}, "", mockserver.StreamRules{}, `no rule "speed"`},
		{[]string{"v1.calls_per_second=fast"}, "", mockserver.StreamRules{}, "calls_per_second=fast"},
		{[]string{"v1.idle_timeout=soon"}, "", mockserver.StreamRules{}, "soon"},
		{[]string{"v3.idle_timeout=1s"}, "", mockserver.StreamRules{}, "endpoints/v3: no such endpoint"},
		{[]string{"v1.calls_per_second=-1"}, "", mockserver.StreamRules{}, "calls_per_second: -1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			cfg := mockserver.DefaultConfig()
			f := streamRuleFlags(tt.flags)
			err := f.apply(&cfg)
			var s *mockserver.Server
			if err == nil {
				s, err = mockserver.New(cfg)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := s.StreamRules(tt.version); got != tt.want {
				t.Errorf("rules %+v, want %+v", got, tt.want)
			}
		})
	}
}
