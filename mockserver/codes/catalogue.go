// Package codes is the data behind every error deskmock answers: the
// catalogue of Tencent IM error codes with their vendor texts, and the table
// that maps each check of the request pipeline to the code it answers.
package codes

import "sort"

// Source tells where the vendor documents a code.
type Source string

// Sources of codes.
const (
	// SourceAPI is the error table of send_stream_msg itself.
	SourceAPI Source = "send_stream_msg"
	// SourceREST is the common error table of the IM REST APIs.
	SourceREST Source = "im-rest"
	// SourceDesk is the Desk REST error-code page, which send_stream_msg_v2
	// refers to.
	SourceDesk Source = "desk-rest"
	// SourceRobot is the error table of the chatbot APIs
	// (openim_robot_http_svc: send_stream_msg, create_robot, ...).
	SourceRobot Source = "openim-robot"
	// SourceGroup is the IM group APIs' error table; the native group
	// stream's pages list no codes, so deskmock's use of these is inferred.
	SourceGroup Source = "im-group"
)

// Entry is one error code of the catalogue.
type Entry struct {
	Code   int    `json:"code"`
	Info   string `json:"info"`
	Source Source `json:"source"`
}

// catalogue lists every code the vendor documents for send_stream_msg and the
// common REST codes, with ErrorInfo texts as the vendor writes them.
var catalogue = []Entry{
	{20001, "Invalid request packet", SourceAPI},
	{20002, "UserSig or A2 invalid", SourceAPI},
	{20003, "The UserID of the sender or recipient is invalid or does not exist. Please check whether the UserID has been imported into IM.", SourceAPI},
	{20004, "Network issue, please retry.", SourceAPI},
	{20005, "Internal server error, please retry.", SourceAPI},
	{20006, "Trigger the callback before sending a private chat message, and the App backend returns that the message cannot be delivered.", SourceAPI},
	{90001, "JSON format parsing failed. Check whether the request package conforms to the JSON Specification.", SourceAPI},
	{90002, "The MsgBody in the JSON format request packet does not match the message format description, or the MsgBody is not an Array type. See the definition of TIMMsgElement object.", SourceAPI},
	{90005, "The JSON format request body lacks the MsgRandom field or the MsgRandom field is not of the Integer type.", SourceAPI},
	{90007, "The MsgBody type in the JSON format request body is not an Array type. Change it to an Array type.", SourceAPI},
	{90009, "Request requires App administrator permissions.", SourceAPI},
	{90010, "The JSON format request packet does not match the message format description. See the definition of TIMMsgElement object.", SourceAPI},
	{93000, "The JSON data packet is excessively long. The message body should not exceed 12k.", SourceAPI},
	{141000, "Applications other than Desk are not allowed to call this API.", SourceAPI},
	{141002, "Internal system error, please retry.", SourceAPI},
	{141004, "Illegal request parameters, please check and retry.", SourceAPI},
	{141005, "This session does not exist.", SourceAPI},
	{141006, "Illegal SessionID", SourceAPI},

	{60002, "HTTP parse error. Please check the URL format of the HTTP request.", SourceREST},
	{60003, "HTTP request JSON parse error. Please check the JSON format.", SourceREST},
	{60004, "Account or signature error in the request URL or JSON packet.", SourceREST},
	{60005, "Account or signature error in the request URL or JSON packet.", SourceREST},
	{60006, "Invalid SDKAppID. Please check whether the SDKAppID is valid.", SourceREST},
	{60007, "The REST API call frequency exceeds the limit. Please reduce the request frequency.", SourceREST},
	{60008, "The service request timed out or the HTTP request format is incorrect. Please check and try again.", SourceREST},
	{60009, "Request resource error. Please check the request URL.", SourceREST},
	{60010, "The request requires App administrator permissions.", SourceREST},
	{60011, "The SDKAppID request frequency exceeds the limit. Please reduce the request frequency.", SourceREST},
	{60012, "SDKAppID is required for the REST API. Please check the SDKAppID in the request URL.", SourceREST},
	{60013, "The JSON of the HTTP response could not be parsed.", SourceDesk},
	{60014, "Account exchange timed out.", SourceREST},
	{60015, "The account must be a string.", SourceREST},
	{60016, "The SDKAppID is disabled.", SourceREST},
	{60017, "The request is disabled.", SourceREST},
	{60018, "Too many requests. Please try again later.", SourceREST},
	{60019, "Too many requests. Please try again later.", SourceREST},
	{60020, "Your professional package has expired and been disabled.", SourceREST},
	{60021, "The IP address of the caller is not in the allowlist.", SourceREST},
	{70001, "UserSig expired. Please generate a new one.", SourceREST},
	{70003, "UserSig cannot be parsed. Please check whether it is complete.", SourceREST},
	{70009, "UserSig verification failed. Please check whether the secret key is correct.", SourceREST},
	{70013, "The identifier in the UserSig does not match the one in the request.", SourceREST},
	{70014, "The SDKAppID in the UserSig does not match the one in the request.", SourceREST},
	{70016, "The key for the SDKAppID was not found.", SourceREST},
	{70020, "The SDKAppID was not found.", SourceREST},
	{70050, "UserSig verification failed and the rate of failures is over the limit. Try again in 1 minute.", SourceDesk},
	{70051, "The account is on the blacklist.", SourceDesk},
	{141009, "The API call frequency exceeds the limit.", SourceDesk},
	{141027, "The current state of the user does not allow ending the queue.", SourceDesk},
	{70107, "The account has not been imported.", SourceREST},
	{90003, "Invalid format of To_Account", SourceREST},

	{10002, "Internal error, please retry.", SourceRobot},
	{10004, "Invalid parameter: a required field is missing or malformed.", SourceRobot},
	{10008, "Illegal request: it needs App administrator permissions, or the chatbot limit was reached.", SourceRobot},

	{10010, "The group does not exist, or it was disbanded.", SourceGroup},
	{10015, "Invalid group ID.", SourceGroup},
}

var byCode = func() map[int]Entry {
	m := make(map[int]Entry, len(catalogue))
	for _, e := range catalogue {
		m[e.Code] = e
	}
	return m
}()

// Lookup returns the catalogue entry of a code.
func Lookup(code int) (Entry, bool) {
	e, ok := byCode[code]
	return e, ok
}

// Catalogue returns every known code, in ascending order.
func Catalogue() []Entry {
	out := append([]Entry(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// APICodes returns the codes of send_stream_msg's own error table, in the
// vendor's order.
func APICodes() []int {
	var out []int
	for _, e := range catalogue {
		if e.Source == SourceAPI {
			out = append(out, e.Code)
		}
	}
	return out
}

// Retryable reports whether the vendor's text asks the caller to retry.
func Retryable(code int) bool {
	switch code {
	case 10002, 20004, 20005, 141002:
		return true
	}
	return false
}
