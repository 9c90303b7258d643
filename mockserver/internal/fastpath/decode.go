package fastpath

import (
	"slices"
	"strconv"
)

// Body is a request body decoded into its schema's struct.
type Body interface{ valid() bool }

// object is a pointer to a body's struct, or one nested in it: member
// gives the field of a member's name, its Unknown when it names none.
type object interface {
	Body
	member(name string) field
}

// field is a pointer to a struct's field, which reads a member's value,
// any JSON value.
type field interface{ read(s *scanner) bool }

// Valid reports whether the JSON Schema library certainly accepts b, by
// its schema's keywords checked on the struct: false sends the caller to
// the library, whose verdict stands.
func Valid(b Body) bool { return b.valid() }

// Decode decodes text, valid UTF-8, into a new body of the schema named
// (its file name in schemas/), when text is one JSON object and
// whitespace. Each member is read as encoding/json reads it into an any:
// a duplicate name's last value wins, names match exactly, an escaped lone
// surrogate is U+FFFD. Strings without escapes, and numbers, are parts of
// text. A member of another type than the schema's, null included, is
// marked Bad and left zero. ok is false for any other text and any
// unknown schema; the caller then asks encoding/json.
func Decode(schema, text string) (b Body, ok bool) {
	newBody, known := bodies[schema]
	if !known {
		return nil, false
	}
	o, s := newBody(text)
	_, bad, ok := s.value('{', members(o, s))
	return o, ok && !bad && s.next() == 0 && s.i == len(text)
}

// newBody makes an empty body T, in one allocation with a scanner of text.
func newBody[T any, P interface {
	*T
	object
}](text string) (object, *scanner) {
	x := &struct {
		b T
		s scanner
	}{s: scanner{s: text}}
	return P(&x.b), &x.s
}

// members reads an object's members into o's fields.
func members(o object, s *scanner) func(string) bool {
	return func(name string) bool { return o.member(name).read(s) }
}

// pick returns the field of fs that names names, or fs's last, the
// struct's Unknown.
func pick(name string, names []string, fs ...field) field {
	for i, n := range names {
		if n == name {
			return fs[i]
		}
	}
	return fs[len(fs)-1]
}

// Text is a member the schema types "string".
type Text struct {
	V   string // the value, when it is a string
	Set bool   // the member is there
	Bad bool   // its value is not a string
}

func (t *Text) read(s *scanner) (ok bool) {
	t.V, t.Bad, ok = s.value('"', nil)
	t.Set = true
	return ok
}

func (t Text) ok() bool  { return !t.Bad }
func (t Text) req() bool { return t.Set && !t.Bad }

// Number is a member the schema types "integer", or an enum of numbers.
type Number struct {
	V   string // the number as written, when it is one
	Set bool
	Bad bool // its value is not a number
}

func (n *Number) read(s *scanner) (ok bool) {
	n.V, n.Bad, ok = s.value('0', nil)
	n.Set = true
	return ok
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

func (b *Bool) read(s *scanner) bool {
	v, bad, ok := s.value('b', nil)
	*b = Bool{V: v == "true", Set: true, Bad: bad}
	return ok
}

// Object is a member the schema types "object", of the struct T.
type Object[T Body] struct {
	V   T
	Set bool
	Bad bool // its value is not an object
}

// read reads any value; a duplicate replaces, not merges.
func (o *Object[T]) read(s *scanner) (ok bool) {
	*o = Object[T]{Set: true}
	_, o.Bad, ok = s.value('{', members(any(&o.V).(object), s)) // every struct's pointer is one
	return ok
}

// ok reports whether the object is absent or valid.
func (o *Object[T]) ok() bool { return !o.Bad && (!o.Set || o.V.valid()) }

// List is a member the schema types "array", of items T.
type List[T any] struct {
	V   []T
	Set bool
	Bad bool // its value is not an array
	// first is the first item's room (most lists hold one): V starts
	// there, and moves out only for a second item.
	first [1]T
}

// read reads any value; a duplicate replaces, not appends. The second
// item makes room for three.
func (l *List[T]) read(s *scanner) (ok bool) {
	*l = List[T]{Set: true}
	_, l.Bad, ok = s.value('[', func(string) bool {
		switch {
		case l.V == nil:
			l.V = l.first[:0]
		case len(l.V) == cap(l.V):
			l.V = slices.Grow(l.V, 2)
		}
		l.V = l.V[:len(l.V)+1]
		return any(&l.V[len(l.V)-1]).(field).read(s) // every item type's pointer is one
	})
	return ok
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

// Unknown is 1 when an object has a member its struct does not name.
// The library ignores them, but the pipeline refuses numbers it cannot
// read anywhere, so Valid says no to any: such a body goes to the library.
type Unknown uint8

func (u *Unknown) read(s *scanner) (ok bool) {
	*u = 1
	_, _, ok = s.value(0, nil)
	return ok
}
