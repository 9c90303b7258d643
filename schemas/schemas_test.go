package schemas

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

func TestEverySchemaCompiles(t *testing.T) {
	for _, name := range Names() {
		if _, err := Get(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := Source(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Get("nope.schema.json"); err == nil {
		t.Error("an unknown schema compiled")
	}
}

func TestSchemas(t *testing.T) {
	tests := []struct {
		schema string
		doc    string
		valid  bool
	}{
		{RequestFile, `{"SessionId":"s","Chunk":"c"}`, true},
		{RequestFile, `{"SessionId":"s","Chunk":"","MsgKey":"k","Finish":1,"CloudCustomData":"d"}`, true},
		{RequestFile, `{"SessionId":"s","Chunk":"c","Finish":0}`, true},
		{RequestFile, `{"SessionId":"s","Chunk":"c","Finish":1.0}`, true},
		{RequestFile, `{"SessionId":"s","Chunk":"c","Other":1}`, true},
		{RequestFile, `{"SessionId":"s"}`, false},
		{RequestFile, `{"Chunk":"c"}`, false},
		{RequestFile, `{"SessionId":"s","Chunk":"c","Finish":2}`, false},
		{RequestFile, `{"SessionId":"s","Chunk":"c","Finish":0.5}`, false},
		{RequestFile, `{"SessionId":"s","Chunk":"c","Finish":"1"}`, false},
		{RequestFile, `{"SessionId":"s","Chunk":"c","CloudCustomData":{}}`, false},
		{RequestFile, `[]`, false},
		{ReplyOKFile, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"124_1600045926_716f784b2bbd6ce9415027715","RequestId":"Id-1"}`, true},
		{ReplyOKFile, `{"RequestId":"Id-1","ErrorCode":0,"ErrorInfo":"","ActionStatus":"OK"}`, true},
		{ReplyOKFile, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, false},
		{ReplyOKFile, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":""}`, false},
		{ReplyOKFile, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"abc","RequestId":"Id-1"}`, false},
		{ReplyOKFile, `{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":0,"RequestId":"Id-1"}`, false},
		{ReplyOKFile, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"Id-1","Other":"x"}`, false},
		{ReplyErrorFile, `{"ActionStatus":"FAIL","ErrorInfo":"Invalid format of To_Account","ErrorCode":90003,"RequestId":"Id-1"}`, true},
		{ReplyErrorFile, `{"ActionStatus":"FAIL","ErrorInfo":"Invalid format of To_Account","ErrorCode":90003}`, false},
		{ReplyErrorFile, `{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":90003,"RequestId":"Id-1"}`, false},
		{ReplyErrorFile, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":0,"RequestId":"Id-1"}`, false},
		{ReplyErrorFile, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":1,"MsgKey":"1_2_a","RequestId":"Id-1"}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"old","Chunks":[{"EventType":"data","Index":1,"Markdown":"a","IsLast":false}]}}],"CloudCustomData":"d"}`, true},
		{RequestV2File, `{"SessionId":"s","MsgKey":"k","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":2,"Markdown":"b","IsLast":true},{"EventType":"data","Index":3,"Markdown":""}]}}]}`, true},
		{RequestV2File, `{"SessionId":"s","MsgBody":[]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"a"}]}}]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[]}}]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":0,"Markdown":"a"}]}}]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1.5,"Markdown":"a"}]}}]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"a","IsLast":1}]}}]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"end","Index":1,"Markdown":"a"}]}}]}`, false},
		{RequestV2File, `{"SessionId":"s","MsgKey":1,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"a"}]}}]}`, false},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"4294967295","contenttype":"json"}`, true},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"0","contenttype":"json"}`, true},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"00042","contenttype":"json"}`, true},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"4294967296","contenttype":"json"}`, false},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"9999999999","contenttype":"json"}`, false},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"-1","contenttype":"json"}`, false},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","usersig":"x","random":"1","contenttype":"JSON"}`, false},
		{QueryFile, `{"sdkappid":"abc","identifier":"admin","usersig":"x","random":"1","contenttype":"json"}`, false},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"","usersig":"x","random":"1","contenttype":"json"}`, false},
		{QueryFile, `{"sdkappid":"1400000001","identifier":"admin","random":"1","contenttype":"json"}`, false},
		{ConfigFile, `{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}]}`, true},
		{ConfigFile, `{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}],"faults":[{"action":{"reset":true,"when":"after_apply"}}]}`, true},
		{ConfigFile, `{"apps":[{"sdkappid":1,"secret_key":"k","admins":["a"]}],"faults":[{"action":{"reset":true,"when":"later"}}]}`, false},
		{ConfigFile, `{"apps":[]}`, false},
		{ConfigFile, `{"apps":[{"sdkappid":"1","secret_key":"k","admins":["a"]}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.schema+" "+tt.doc, func(t *testing.T) {
			dec := json.NewDecoder(bytes.NewReader([]byte(tt.doc)))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			err := Must(tt.schema).Validate(v)
			if (err == nil) != tt.valid {
				t.Errorf("valid = %v, want %v (%v)", err == nil, tt.valid, err)
			}
		})
	}
}

// The random pattern must accept exactly 0..4294967295; check it against
// the numbers around every digit boundary of the upper limit.
func TestQueryRandomPatternBoundaries(t *testing.T) {
	const max = 4294967295
	var candidates []uint64
	for p := uint64(1); p <= 10_000_000_000; p *= 10 {
		candidates = append(candidates, p-1, p, p+1)
	}
	for d := uint64(1); d <= 1_000_000_000; d *= 10 {
		candidates = append(candidates, max-d, max+d)
	}
	candidates = append(candidates, max, max+1, 4299999999, 4295000000, 4294999999, 4294967299, 4294967290)
	for _, n := range candidates {
		v := map[string]any{"sdkappid": "1", "identifier": "a", "usersig": "x", "random": strconv.FormatUint(n, 10), "contenttype": "json"}
		err := Must(QueryFile).Validate(v)
		if (err == nil) != (n <= max) {
			t.Errorf("random=%d: valid = %v", n, err == nil)
		}
	}
}
