// Package fastpath holds the only code of the request path that exists to
// be fast: shortcuts that answer a question about the common request in
// one pass with few allocations, or say they cannot. Each has a plain
// contract: when it answers (ok is true), it answers exactly as the library
// that defines the behaviour would; when it cannot, the caller asks that
// library. DecodeObject stands for encoding/json, Schema.Accepts for the
// JSON Schema library's yes, ReadIMQuery for net/url, and
// IMQuery.Accepted for the query schema. agreement_test.go checks each
// against its library on tables, random inputs and, with FuzzAgreement,
// anything.
package fastpath
