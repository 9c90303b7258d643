// Package fastpath holds the only code of the request path that exists to
// be fast: shortcuts that answer a question about the common request in
// one pass with few allocations, or say they cannot. Each has a plain
// contract: when it answers, it answers exactly as the library that
// defines the behaviour would; when it cannot, the caller asks that
// library. DecodeObject stands for encoding/json, FlatSchema.Accepts for
// the JSON Schema library's yes on a v1 body, and QueryAccepted for its yes
// on a query. agreement_test.go checks each against its library on tables,
// random inputs and, with FuzzAgreement, anything.
package fastpath
