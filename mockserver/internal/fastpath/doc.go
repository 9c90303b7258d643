// Package fastpath reads request bodies into typed structs, one per
// request schema (Decode), and holds the request path's shortcuts: Valid,
// the schema's keywords checked on such a struct, for the JSON Schema
// library's yes; QueryAccepted, for its yes on a query. Each has a plain
// contract: when it says yes, the library would; when it says no, the
// caller asks the library, whose verdict and message stand. A struct reads
// a body as encoding/json reads it into an any, member by member.
// agreement_test.go checks all of it against encoding/json and the library
// on tables, random bodies and, with FuzzAgreement, anything.
package fastpath
