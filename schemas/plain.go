package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// patternWords says in words what each pattern of the configuration
// schema stands for, so that no message shows a regular expression.
var patternWords = map[string]string{
	`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`:       `a Go duration such as "90s" or "10m"`,
	`^(off|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`: `"off" or a Go duration such as "15s"`,
	"^@RBT#":                                `a chatbot's UserID, which starts with "@RBT#"`,
	"^https?://":                            `an http:// or https:// URL`,
	`^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$`: `working hours such as "09:00-18:00" (UTC)`,
	`^([a-z0-9_]+/)?[a-z0-9-]+$`:            `a check such as "body-schema", or an endpoint and a check such as "v2/body-schema"`,
	`^(\*|\.?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?)$`: `a host name such as "deskmock", ".example.test" for a name and its subdomains, or "*"`,
}

// Plain writes the problems of a validation of instance (the document as
// the validator saw it: maps, slices, json.Number or float64 numbers) in
// plain words, as "location: message" joined by sep, naming the document
// itself root. An unknown key is named, with the closest allowed key when
// one is close or the allowed keys otherwise; a key left out, a value of
// the wrong type, out of bounds or not of a pattern's form are said without
// the schema's keywords or regular expressions. An error that is not a
// validation error is written as is.
func Plain(err error, instance any, root, sep string) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var out []Problem
	suggested := map[string]bool{} // location + "\x00" + a key suggested for an unknown one
	var missing []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		switch keyword(e) {
		case "required":
			missing = append(missing, e) // after the unknown keys, which may explain them
		case "additionalProperties":
			for _, p := range unknownKeys(e, instance) {
				out = append(out, p.Problem)
				for _, k := range p.suggestions {
					suggested[e.InstanceLocation+"\x00"+k] = true
				}
			}
		default:
			out = append(out, Problem{Location: e.InstanceLocation, Message: plainMessage(e, instance)})
		}
	}
	walk(ve)
	for _, e := range missing {
		node, _ := schemaNode(e, 1)
		obj, _ := valueAt(instance, e.InstanceLocation).(map[string]any)
		for _, k := range stringsOf(node["required"]) {
			if _, ok := obj[k]; !ok && !suggested[e.InstanceLocation+"\x00"+k] {
				out = append(out, Problem{Location: e.InstanceLocation, Message: fmt.Sprintf("missing key %q", k)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	out = slices.Compact(out)
	parts := make([]string, len(out))
	for i, p := range out {
		loc := strings.TrimPrefix(p.Location, "/")
		if loc == "" {
			loc = root
		}
		parts[i] = loc + ": " + p.Message
	}
	return strings.Join(parts, sep)
}

// keyword returns the schema keyword an error is about.
func keyword(e *jsonschema.ValidationError) string {
	return e.KeywordLocation[strings.LastIndexByte(e.KeywordLocation, '/')+1:]
}

// unknownKey is an unknown key's problem and the allowed keys suggested
// for it, if any.
type unknownKey struct {
	Problem
	suggestions []string
}

// unknownKeys words an additionalProperties error: one problem for each
// key of the object that its schema does not allow.
func unknownKeys(e *jsonschema.ValidationError, instance any) []unknownKey {
	node, _ := schemaNode(e, 1)
	props, _ := node["properties"].(map[string]any)
	allowed := make([]string, 0, len(props))
	for k := range props {
		allowed = append(allowed, k)
	}
	sort.Strings(allowed)
	obj, _ := valueAt(instance, e.InstanceLocation).(map[string]any)
	var names []string
	for k := range obj {
		if _, ok := props[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if len(names) == 0 { // not found again: say what the validator said
		return []unknownKey{{Problem: Problem{Location: e.InstanceLocation, Message: e.Message}}}
	}
	out := make([]unknownKey, len(names))
	for i, k := range names {
		msg := fmt.Sprintf("unknown key %q", k)
		best := closest(k, allowed)
		switch {
		case len(best) > 0:
			quoted := make([]string, len(best))
			for i, b := range best {
				quoted[i] = strconv.Quote(b)
			}
			msg += ": did you mean " + strings.Join(quoted, " or ") + "?"
		case len(allowed) > 0:
			msg += " (known keys: " + strings.Join(allowed, ", ") + ")"
		default:
			msg += " (no key is allowed here)"
		}
		out[i] = unknownKey{Problem{Location: e.InstanceLocation, Message: msg}, best}
	}
	return out
}

// Closest returns the names nearest to s in edit distance, ignoring case,
// when they are near enough to be what was meant (a key misspelt); none
// otherwise. Plain suggests them for an unknown key; other readers of
// deskmock's files suggest them alike.
func Closest(s string, names []string) []string { return closest(s, names) }

// closest returns the names nearest to s in edit distance, ignoring case,
// when they are near enough to be what was meant; none otherwise.
func closest(s string, names []string) []string {
	var best []string
	bestD := -1
	for _, n := range names {
		d := distance(strings.ToLower(s), strings.ToLower(n))
		switch {
		case d > max(1, len(n)/4):
		case bestD < 0 || d < bestD:
			best, bestD = []string{n}, d
		case d == bestD:
			best = append(best, n)
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// plainMessage words an error of one value.
func plainMessage(e *jsonschema.ValidationError, instance any) string {
	node, ok := schemaNode(e, 1)
	if !ok {
		return e.Message
	}
	v := valueAt(instance, e.InstanceLocation)
	switch kw := keyword(e); kw {
	case "pattern":
		words := patternWords[fmt.Sprint(node["pattern"])]
		if words == "" {
			words = "of the form the schema states"
		}
		if strings.HasSuffix(e.KeywordLocation, "/propertyNames/pattern") {
			key := e.InstanceLocation[strings.LastIndexByte(e.InstanceLocation, '/')+1:]
			return fmt.Sprintf("the key %q is not %s", key, words)
		}
		return fmt.Sprintf("%s is not %s", show(v), words)
	case "type":
		return fmt.Sprintf("%s is %s; want %s", show(v), typeOf(v), strings.Join(articled(stringsOf(node["type"])), " or "))
	case "minimum":
		return fmt.Sprintf("%s is less than %v, the least allowed", show(v), node[kw])
	case "maximum":
		return fmt.Sprintf("%s is more than %v, the most allowed", show(v), node[kw])
	case "exclusiveMinimum":
		return fmt.Sprintf("%s must be more than %v", show(v), node[kw])
	case "exclusiveMaximum":
		return fmt.Sprintf("%s must be less than %v", show(v), node[kw])
	case "enum":
		var opts []string
		enum, _ := node["enum"].([]any)
		for _, o := range enum {
			opts = append(opts, show(o))
		}
		return fmt.Sprintf("%s is not one of %s", show(v), strings.Join(opts, ", "))
	case "minItems":
		return fmt.Sprintf("has %s; want at least %v", items(lenOf(v)), node[kw])
	case "maxItems":
		return fmt.Sprintf("has %s; want at most %v", items(lenOf(v)), node[kw])
	case "minLength":
		if fmt.Sprint(node[kw]) == "1" {
			return "is empty"
		}
		return fmt.Sprintf("is shorter than %v characters", node[kw])
	case "uniqueItems":
		return "lists an item twice"
	}
	return e.Message
}

// schemaNode returns the schema object an error's keyword sits in, up
// levels above the keyword (1: the object that has the keyword).
func schemaNode(e *jsonschema.ValidationError, up int) (map[string]any, bool) {
	u, err := url.Parse(e.AbsoluteKeywordLocation)
	if err != nil {
		return nil, false
	}
	src, err := Source(path.Base(u.Path))
	if err != nil {
		return nil, false
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber() // bounds as written: 4294967295, not 4.294967295e+09
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	segs := strings.Split(strings.TrimPrefix(u.Fragment, "/"), "/")
	if len(segs) < up {
		return nil, false
	}
	node, ok := valueAt(doc, "/"+strings.Join(segs[:len(segs)-up], "/")).(map[string]any)
	return node, ok
}

// valueAt returns the value at a JSON pointer of doc, or nil.
func valueAt(doc any, pointer string) any {
	if pointer == "" || pointer == "/" {
		return doc
	}
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		switch t := doc.(type) {
		case map[string]any:
			doc = t[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			doc = t[i]
		default:
			return nil
		}
	}
	return doc
}

// stringsOf returns the strings of a schema value: a string or a list.
func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// articled puts "a" or "an" before JSON type names.
func articled(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		if strings.ContainsAny(t[:1], "aeiou") {
			out[i] = "an " + t
		} else {
			out[i] = "a " + t
		}
	}
	return out
}

// typeOf names the JSON type of a decoded value, with its article.
func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// show writes a value as JSON; a string longer than 40 characters is cut,
// and a list or object that long is named by its type.
func show(v any) string {
	if s, ok := v.(string); ok && utf8.RuneCountInString(s) > 40 {
		return fmt.Sprintf("%.40q...", s)
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) > 40 {
		return typeOf(v)
	}
	return string(b)
}

// items says how many items a list has.
func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}

// lenOf is the length of a list, or 0.
func lenOf(v any) int {
	l, _ := v.([]any)
	return len(l)
}
