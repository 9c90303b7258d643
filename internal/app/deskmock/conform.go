package deskmock

import (
	"context"

	"github.com/deskmock/deskmock/internal/app/conform"
)

// runConform hands what follows "conform" to the conformance program.
func runConform(ctx context.Context, e *env, args []string) int {
	return conform.Main(ctx, args, e.stdin, e.stdout, e.stderr)
}
