package main

import (
	"encoding/json"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/rogpeppe/go-internal/testscript"
)

// jqCmd is the script command "jq [-r] EXPR FILE": it runs the jq
// expression over the JSON in FILE and writes the results to stdout, one
// a line (strings raw with -r, compact JSON otherwise), as jq does; the
// scripts use it to check the JSON apikeyctl writes on a pipe.
func jqCmd(ts *testscript.TestScript, neg bool, args []string) {
	raw := false
	if len(args) > 0 && args[0] == "-r" {
		raw, args = true, args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jq [-r] EXPR FILE")
	}
	q, err := gojq.Parse(args[0])
	ts.Check(err)
	var input any
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[1])))
	dec.UseNumber()
	ts.Check(dec.Decode(&input))
	input = normalizeNumbers(input)
	var out strings.Builder
	iter := q.Run(input)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			ts.Fatalf("jq: %v", err)
		}
		if s, ok := v.(string); ok && raw {
			out.WriteString(s + "\n")
			continue
		}
		b, err := gojq.Marshal(v)
		ts.Check(err)
		out.WriteString(string(b) + "\n")
	}
	_, err = ts.Stdout().Write([]byte(out.String()))
	ts.Check(err)
}

// normalizeNumbers turns json.Number into the int or float64 gojq takes.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
