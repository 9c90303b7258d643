package cli

import (
	"context"

	"github.com/deskmock/deskmock/conformance"
)

// runConform hands what follows "conform" to the conformance runner.
func runConform(ctx context.Context, e *env, args []string) int {
	return conformance.Main(ctx, args, e.stdin, e.stdout, e.stderr)
}
