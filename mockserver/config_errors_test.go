package mockserver

import "testing"

// Each bad configuration gets one plain message: its prefix said once, the
// key at fault named, no schema keyword or regular expression, and for an
// unknown key the closest known one.
func TestConfigErrorMessages(t *testing.T) {
	const app = "apps:\n  - sdkappid: 1400000001\n    secret_key: k\n    admins: [administrator]\n"
	for _, tc := range []struct{ name, file, text, want string }{
		{"unknown check", "c.yaml", app + "codes:\n  nope: {code: 90001}\n",
			`config c.yaml: codes: unknown check "nope" (known: path, method, query, sdkappid-missing, random, contenttype, sdkappid-unknown, usersig-undecodable, usersig-app-mismatch, usersig-identifier-mismatch, usersig-expired, usersig-signature, not-admin, not-desk, app-rate, body-too-large, body-not-json, body-schema, sessionid-malformed, session-not-found, session-not-bot, session-state, account-malformed, account-unknown, groupid-malformed, group-unknown, sender-not-robot, robot-id-malformed, robot-limit, robot-unknown, msgkey-unknown, msgkey-other-session, stream-finished, stream-idle-ended, stream-rate, message-too-large, chunk-index, internal-error)`},
		{"unknown endpoint of a check", "c.yaml", app + "codes:\n  v9/body-schema: {code: 90001}\n",
			`config c.yaml: codes: "v9/body-schema": unknown endpoint "v9" (known: v1, v2, c2c, group, chatbot, create_robot, delete_robot, get_all_robots, transfer_to_human, end_session, end_queuing, get_session_state, send_msg, describe_chat_messages, describe_im_cdr_list)`},
		{"code not in the catalogue", "c.yaml", app + "codes:\n  body-schema: {code: 12345}\n",
			`config c.yaml: codes: check "body-schema": code 12345 is not in the catalogue, so it needs an info text`},
		{"malformed check name", "c.yaml", app + "codes:\n  Body_Schema: {code: 90001}\n",
			`config c.yaml: codes/Body_Schema: the key "Body_Schema" is not a check such as "body-schema", or an endpoint and a check such as "v2/body-schema"`},
		{"misspelt key of an override", "c.yaml", app + "codes:\n  body-schema: {cod: 90001}\n",
			`config c.yaml: codes/body-schema: unknown key "cod": did you mean "code"?`},
		{"misspelt top-level key", "c.yaml", app + "limit:\n  max_streams: 5\n",
			`config c.yaml: (top level): unknown key "limit": did you mean "limits"?`},
		{"unknown top-level key", "c.yaml", app + "foo: 1\n",
			`config c.yaml: (top level): unknown key "foo" (known keys: accounts, allow_hosts, apps, callbacks, codes, desk, endpoints, envelope, faults, groups, limits, sessions)`},
		{"misspelt key of an app, required", "c.yaml", "apps:\n  - sdkappid: 1400000001\n    secretkey: k\n    admins: [administrator]\n",
			`config c.yaml: apps/0: unknown key "secretkey": did you mean "secret_key"?`},
		{"key in another case", "c.json", `{"apps":[{"SDKAppID":1400000001,"secret_key":"k","admins":["a"]}]}`,
			`config c.json: apps/0: unknown key "SDKAppID": did you mean "sdkappid"?`},
		{"missing key", "c.yaml", "apps:\n  - sdkappid: 1400000001\n    admins: [administrator]\n",
			`config c.yaml: apps/0: missing key "secret_key"`},
		{"no app", "c.yaml", "limits: {max_streams: 5}\n",
			`config c.yaml: apps: at least one app is needed (a configuration file replaces the embedded default, its app included)`},
		{"two endpoints as close", "c.yaml", app + "endpoints:\n  v3: {}\n",
			`config c.yaml: endpoints: unknown key "v3": did you mean "v1" or "v2"?`},
		{"misspelt stream rule", "c.yaml", app + "endpoints:\n  v2: {idle_timeot: 1s}\n",
			`config c.yaml: endpoints/v2: unknown key "idle_timeot": did you mean "idle_timeout"?`},
		{"misspelt fault action", "c.yaml", app + "faults:\n  - action: {error_cod: 1}\n",
			`config c.yaml: faults/0/action: unknown key "error_cod": did you mean "error_code"?`},
		{"fault without action", "c.yaml", app + "faults:\n  - match: {nth: 1}\n",
			`config c.yaml: faults/0: missing key "action"`},
		{"empty fault action", "c.yaml", app + "faults:\n  - action: {}\n",
			`config c.yaml: faults/0/action: give one of error_code, http_status, delay_ms, reset, truncate, key_order, callback`},
		{"rule duration", "c.yaml", app + "endpoints:\n  v2: {idle_timeout: soon}\n",
			`config c.yaml: endpoints/v2/idle_timeout: "soon" is not "off" or a Go duration such as "15s"`},
		{"duration", "c.yaml", app + "limits:\n  stream_ttl: soon\n",
			`config c.yaml: limits/stream_ttl: "soon" is not a Go duration such as "90s" or "10m"`},
		{"type", "c.yaml", app + "sessions:\n  strict: yes-please\n",
			`config c.yaml: sessions/strict: "yes-please" is a string; want a boolean`},
		{"object of the wrong type", "c.yaml", app + "sessions: [1]\n",
			`config c.yaml: sessions: [1] is a list; want an object`},
		{"below the minimum", "c.yaml", app + "limits:\n  max_streams: 0\n",
			`config c.yaml: limits/max_streams: 0 is less than 1, the least allowed`},
		{"above the maximum", "c.yaml", app + "limits:\n  max_body_bytes: 99999999999\n",
			`config c.yaml: limits/max_body_bytes: 99999999999 is more than 16777216, the most allowed`},
		{"list too short, value not allowed", "c.yaml", app + "envelope:\n  key_order: [a]\n",
			`config c.yaml: envelope/key_order: has 1 item; want at least 5; envelope/key_order/0: "a" is not one of "ActionStatus", "ErrorInfo", "ErrorCode", "MsgKey", "RequestId"`},
		{"empty secret key", "c.yaml", "apps:\n  - sdkappid: 1400000001\n    secret_key: \"\"\n    admins: [administrator]\n",
			`config c.yaml: apps/0/secret_key: is empty`},
		{"malformed session", "c.yaml", app + "sessions:\n  ids: [nope]\n",
			`config c.yaml: sessions/ids/0: "nope" is not a well-formed SessionId (a UUID, 8-4-4-4-12 hexadecimal digits)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(tc.file, []byte(tc.text))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.text)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
