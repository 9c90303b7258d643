package fastpath

import (
	"encoding/json"
	"fmt"
)

// Schema is a JSON Schema that uses only type, required, properties and
// enum (with annotations), compiled to answer one question fast: does the
// JSON Schema library accept a value for certain? Accepts says yes only
// when every keyword holds by plain comparison: a string equal to an enum
// string, an integer written with digits only. Everything else, such as
// Finish 1.0, which the library compares as numbers, gets no, and the
// caller asks the library.
type Schema struct {
	types    []string
	required []string
	props    []property
	enum     []any // strings and json.Number
}

type property struct {
	name   string
	schema *Schema
}

// CompileSchema compiles a schema document decoded with UseNumber. It
// fails on any keyword it does not know, and on a shape it does not expect.
func CompileSchema(doc any) (*Schema, error) {
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fastpath: schema %v is not an object", doc)
	}
	s := &Schema{}
	for k, v := range obj {
		switch k {
		case "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly":
		case "type":
			switch t := v.(type) {
			case string:
				s.types = []string{t}
			case []any:
				for _, e := range t {
					name, ok := e.(string)
					if !ok {
						return nil, fmt.Errorf("type %v", v)
					}
					s.types = append(s.types, name)
				}
			default:
				return nil, fmt.Errorf("type %v", v)
			}
			for _, t := range s.types {
				switch t {
				case "object", "array", "string", "integer", "number", "boolean", "null":
				default:
					return nil, fmt.Errorf("type %q", t)
				}
			}
		case "required":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("required %v", v)
			}
			for _, e := range list {
				name, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("required %v", v)
				}
				s.required = append(s.required, name)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("properties %v", v)
			}
			for name, sub := range props {
				ps, err := CompileSchema(sub)
				if err != nil {
					return nil, fmt.Errorf("properties/%s: %w", name, err)
				}
				s.props = append(s.props, property{name, ps})
			}
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("enum %v", v)
			}
			for _, e := range list {
				switch e.(type) {
				case string, json.Number:
				default:
					return nil, fmt.Errorf("enum item %v", e)
				}
			}
			s.enum = list
		default:
			return nil, fmt.Errorf("keyword %q", k)
		}
	}
	return s, nil
}

// Accepts reports whether v, decoded with UseNumber, certainly satisfies
// the schema.
func (s *Schema) Accepts(v any) bool {
	if len(s.types) > 0 && !s.typeAccepts(v) {
		return false
	}
	if len(s.enum) > 0 && !s.enumAccepts(v) {
		return false
	}
	if m, ok := v.(map[string]any); ok {
		if len(s.required) > 64 {
			return false
		}
		// Walk the object's few members rather than look each property up.
		var found uint64 // bit i: required[i] is present
		for k, pv := range m {
			for i := range s.props {
				if s.props[i].name == k {
					if !s.props[i].schema.Accepts(pv) {
						return false
					}
					break
				}
			}
			for i, name := range s.required {
				if name == k {
					found |= 1 << i
				}
			}
		}
		if found != 1<<len(s.required)-1 {
			return false
		}
	}
	return true
}

func (s *Schema) typeAccepts(v any) bool {
	for _, t := range s.types {
		switch v := v.(type) {
		case map[string]any:
			if t == "object" {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case nil:
			if t == "null" {
				return true
			}
		case json.Number:
			if t == "number" || t == "integer" && plainInteger(string(v)) {
				return true
			}
		}
	}
	return false
}

func (s *Schema) enumAccepts(v any) bool {
	for _, e := range s.enum {
		switch e := e.(type) {
		case string:
			if sv, ok := v.(string); ok && sv == e {
				return true
			}
		case json.Number:
			if nv, ok := v.(json.Number); ok && nv == e {
				return true
			}
		}
	}
	return false
}

// plainInteger reports whether a JSON number is written as an integer: an
// optional minus and digits only.
func plainInteger(n string) bool {
	if len(n) > 0 && n[0] == '-' {
		n = n[1:]
	}
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}
