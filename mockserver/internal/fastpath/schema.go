package fastpath

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FlatSchema is a JSON Schema of an object whose properties are strings,
// some with an enum, or integers with an enum, as the v1 request schema is;
// compiled to answer one question fast: does the JSON Schema library accept
// an object for certain? Accepts says yes only when every keyword holds by
// plain comparison: a string, or a number written exactly as an enum value.
// Anything else, such as Finish 1.0, which the library compares as a
// number, gets no, and the caller asks the library.
type FlatSchema struct {
	required []string
	props    map[string]flatProperty
}

// flatProperty is one property's schema.
type flatProperty struct {
	integer bool  // "integer", with an enum; else "string"
	enum    []any // strings or json.Numbers; nil for any string
}

// flatDoc is the part of JSON Schema that a FlatSchema knows, annotations
// included: decoded with unknown fields disallowed, a schema with any other
// keyword, or a keyword of another shape, does not decode.
type flatDoc struct {
	Schema      string `json:"$schema"`
	ID          string `json:"$id"`
	Title       string
	Description string
	Type        string
	Required    []string
	Properties  map[string]struct {
		Description string
		Type        string
		Enum        []any
	}
}

// CompileFlat compiles a schema document. It fails on any keyword or shape
// other than those of FlatSchema.
func CompileFlat(src []byte) (*FlatSchema, error) {
	var doc flatDoc
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("fastpath: %w", err)
	}
	if doc.Type != "object" || len(doc.Required) > 64 {
		return nil, fmt.Errorf("fastpath: not an object schema of at most 64 required properties")
	}
	s := &FlatSchema{required: doc.Required, props: map[string]flatProperty{}}
	for name, p := range doc.Properties {
		integer := p.Type == "integer"
		if !integer && p.Type != "string" || (integer || p.Enum != nil) && len(p.Enum) == 0 {
			return nil, fmt.Errorf("fastpath: properties/%s: neither a string nor an integer with an enum", name)
		}
		for _, e := range p.Enum {
			_, isNumber := e.(json.Number)
			_, isString := e.(string)
			if integer && !isNumber || !integer && !isString {
				return nil, fmt.Errorf("fastpath: properties/%s: enum item %v is not a %s", name, e, p.Type)
			}
		}
		s.props[name] = flatProperty{integer, p.Enum}
	}
	return s, nil
}

// Accepts reports whether the object m, decoded with UseNumber, certainly
// satisfies the schema; a nil schema accepts nothing.
func (s *FlatSchema) Accepts(m map[string]any) bool {
	if s == nil {
		return false
	}
	var found uint64 // bit i: required[i] is present
	for k, v := range m {
		if p, ok := s.props[k]; ok && !p.accepts(v) {
			return false
		}
		for i, name := range s.required {
			if name == k {
				found |= 1 << i
			}
		}
	}
	return found == 1<<len(s.required)-1
}

// accepts reports whether v certainly satisfies the property's schema.
func (p flatProperty) accepts(v any) bool {
	if _, ok := v.(string); ok && !p.integer && p.enum == nil {
		return true
	}
	for _, e := range p.enum { // equal values of the same type
		if e == v {
			return true
		}
	}
	return false
}
