// Package conformance grades a client of the streaming APIs (Desk's
// send_stream_msg and send_stream_msg_v2, the native C2C and group
// streams, a chatbot's stream) against the mock; protocol.Endpoints says what differs between
// them on the wire, and the checks read each call by it.
//
// A run takes cases (Builtin, LoadDir, ParseCases), starts a fresh mock on
// loopback for each, executes the client command once per case with the
// case on its stdin (an Input, also in DESKMOCK_* environment variables),
// reads the one JSON Answer the client prints, and grades the mock's
// journal, its streams and the answer with named checks, each MUST, SHOULD
// or INFO (Checks). Run does this for a list of cases; Main is the command
// line, "deskmock conform". The reports are WriteConsole, WriteJSON,
// WriteJUnit and WriteHTML.
//
// conformance/README.md describes the client protocol, the behaviour the
// checks expect of a careful client, every check and every case.
package conformance
