package main

import (
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"strings"
	"testing"
)

// TestTimeoutsAreServes holds the ceiling's timeouts and limits equal to
// the defaults of mockserver's listen.go, which it does not export: it
// type-checks their declarations and compares the values.
func TestTimeoutsAreServes(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../../../../mockserver/listen.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	src.WriteString("package p\nimport \"time\"\nvar _ = time.Second\n")
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			printer.Fprint(&src, fset, g)
			src.WriteString("\n")
		}
	}
	cfset := token.NewFileSet()
	pf, err := parser.ParseFile(cfset, "consts.go", src.String(), 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("p", cfset, []*ast.File{pf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		want int64
	}{
		{"defaultReadHeaderTimeout", int64(readHeaderTimeout)},
		{"defaultReadTimeout", int64(readTimeout)},
		{"defaultWriteTimeout", int64(writeTimeout)},
		{"defaultIdleTimeout", int64(idleTimeout)},
		{"defaultMaxHeaderBytes", maxHeaderBytes},
	} {
		c, ok := pkg.Scope().Lookup(tt.name).(*types.Const)
		if !ok {
			t.Errorf("listen.go declares no constant %s", tt.name)
			continue
		}
		if got, _ := constant.Int64Val(c.Val()); got != tt.want {
			t.Errorf("%s = %d in listen.go, %d in the ceiling", tt.name, got, tt.want)
		}
	}
}
