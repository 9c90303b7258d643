package redact

import "testing"

func TestQuery(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "sdkappid=1&usersig=abc&random=2", "sdkappid=1&usersig=REDACTED&random=2"},
		{"upper case", "USERSIG=abc", "USERSIG=REDACTED"},
		{"mixed case", "UserSig=abc&x=1", "UserSig=REDACTED&x=1"},
		{"escaped name", "%75sersig=abc", "%75sersig=REDACTED"},
		{"escaped upper", "%55SERSIG=abc", "%55SERSIG=REDACTED"},
		{"after a semicolon", "random=1;usersig=abc", "random=1;usersig=REDACTED"},
		{"semicolon after", "usersig=abc;random=1", "usersig=REDACTED;random=1"},
		{"twice", "usersig=a&usersig=b", "usersig=REDACTED&usersig=REDACTED"},
		{"empty value", "usersig=", "usersig=REDACTED"},
		{"no value", "usersig&x=1", "usersig&x=1"},
		{"other names", "usersigx=1&xusersig=2&user=3", "usersigx=1&xusersig=2&user=3"},
		{"bad escape", "%zzsersig=1", "%zzsersig=1"},
		{"already redacted", "usersig=REDACTED", "usersig=REDACTED"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Query(tt.in); got != tt.want {
				t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
