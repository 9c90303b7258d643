package conformance_test

import (
	"fmt"

	"github.com/deskmock/deskmock/conformance"
)

func ExampleParseCases() {
	cases, err := conformance.ParseCases("mine.json", []byte(`{"cases": [{
		"name": "team/long-answer",
		"description": "A greeting, then a long paragraph.",
		"input": {"chunks": ["Hi! ", {"repeat": "ab", "bytes": 5}]},
		"mock": {"faults": [{"match": {"call": 2}, "action": {"error_code": 20005}, "times": 1}]},
		"expect": {"ok": true}
	}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := cases[0]
	fmt.Printf("%s: %q, session %s\n", c.Name, c.Chunks(), c.SessionID())
	// Output: team/long-answer: ["Hi! " "ababa"], session bfbf1de2-229b-4598-89ec-b67757e631f7
}

func ExampleChecks() {
	for _, c := range conformance.Checks()[:3] {
		fmt.Println(c.Level, c.Name)
	}
	// Output:
	// MUST client/in-time
	// MUST client/reached-mock
	// MUST request/method
}
