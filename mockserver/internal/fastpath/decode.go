package fastpath

import (
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Body is a request body decoded into its schema's struct.
type Body interface{ valid() bool }

// Valid reports whether the JSON Schema library certainly accepts b, by
// its schema's keywords checked on the struct: false sends the caller to
// the library, whose verdict stands.
func Valid(b Body) bool { return b.valid() }

// Decode decodes text, valid UTF-8, into a new body of the schema named
// (its file name in schemas/), when text is one JSON object as jsontext
// reads it. Each member is read as encoding/json reads it into an any: a
// duplicate name's last value wins, names match exactly, an escaped lone
// surrogate is U+FFFD. A member of another type than the schema's, null
// included, is marked Bad and left zero. ok is false for any other text
// and any unknown schema; the caller then asks encoding/json.
func Decode(schema, text string) (b Body, ok bool) {
	newBody, known := bodies[schema]
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	if !known || i == len(text) || text[i] != '{' {
		return nil, false
	}
	b = newBody()
	err := json.Unmarshal([]byte(text), b, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	return b, err == nil
}

// Text is a member the schema types "string".
type Text struct {
	V   string // the value, when it is a string
	Set bool   // the member is there
	Bad bool   // its value is not a string
}

// UnmarshalJSONFrom reads any JSON value.
func (t *Text) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	*t = Text{Set: true, Bad: d.PeekKind() != '"'}
	if t.Bad {
		return d.SkipValue()
	}
	tok, err := d.ReadToken()
	t.V = tok.String()
	return err
}

func (t Text) ok() bool  { return !t.Bad }
func (t Text) req() bool { return t.Set && !t.Bad }

// Number is a member the schema types "integer", or an enum of numbers.
type Number struct {
	V   string // the number as written, when it is one
	Set bool
	Bad bool // its value is not a number
}

// UnmarshalJSONFrom reads any JSON value.
func (n *Number) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	*n = Number{Set: true, Bad: d.PeekKind() != '0'}
	if n.Bad {
		return d.SkipValue()
	}
	v, err := d.ReadValue()
	n.V = string(v)
	return err
}

// in reports whether the number is absent, or an integer in lo..hi
// written without fraction or exponent; no for any other number, which
// the library may yet accept (1.0, 1e0, big integers).
func (n Number) in(lo, hi int64) bool {
	if !n.Set {
		return true
	}
	v, err := strconv.ParseInt(n.V, 10, 64)
	return !n.Bad && err == nil && lo <= v && v <= hi
}

// Bool is a member the schema types "boolean".
type Bool struct {
	V   bool
	Set bool
	Bad bool // its value is not true or false
}

// UnmarshalJSONFrom reads any JSON value.
func (b *Bool) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	k := d.PeekKind()
	*b = Bool{Set: true, Bad: k != 't' && k != 'f', V: k == 't'}
	return d.SkipValue()
}

// Object is a member the schema types "object", of the struct T.
type Object[T Body] struct {
	V   T
	Set bool
	Bad bool // its value is not an object
}

// UnmarshalJSONFrom reads any JSON value; a duplicate replaces, not merges.
func (o *Object[T]) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	*o = Object[T]{Set: true, Bad: d.PeekKind() != '{'}
	if o.Bad {
		return d.SkipValue()
	}
	return json.UnmarshalDecode(d, &o.V)
}

// ok reports whether the object is absent or valid.
func (o *Object[T]) ok() bool { return !o.Bad && (!o.Set || o.V.valid()) }

// List is a member the schema types "array", of items T.
type List[T any] struct {
	V   []T
	Set bool
	Bad bool // its value is not an array
}

// UnmarshalJSONFrom reads any JSON value; a duplicate replaces, not appends.
func (l *List[T]) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	*l = List[T]{Set: true, Bad: d.PeekKind() != '['}
	if l.Bad {
		return d.SkipValue()
	}
	if _, err := d.ReadToken(); err != nil {
		return err
	}
	for d.PeekKind() != ']' {
		l.V = append(l.V, *new(T))
		// Every item type of the bodies reads itself.
		if err := any(&l.V[len(l.V)-1]).(json.UnmarshalerFrom).UnmarshalJSONFrom(d); err != nil {
			return err
		}
	}
	_, err := d.ReadToken()
	return err
}

// sized reports whether the list is there with min..max items, each
// valid.
func (l *List[T]) sized(min, max int, valid func(*T) bool) bool {
	if !l.Set || l.Bad || len(l.V) < min || len(l.V) > max {
		return false
	}
	for i := range l.V {
		if !valid(&l.V[i]) {
			return false
		}
	}
	return true
}

// Unknown holds the names of an object's members its struct does not
// name. The library ignores them, but the pipeline refuses numbers it
// cannot read anywhere, so Valid says no to any: such a body goes to the
// library.
type Unknown map[string]skipped

// skipped is an unknown member's value, skipped.
type skipped struct{}

// UnmarshalJSONFrom skips any JSON value.
func (*skipped) UnmarshalJSONFrom(d *jsontext.Decoder) error { return d.SkipValue() }
