package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/itchyny/gojq"
)

// decodePlain decodes v's JSON into maps, slices and json.Number, for jq and
// templates.
func decodePlain(v any) (any, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var d any
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return d, nil
}

// writeJQ runs the jq expression expr over v's JSON and prints every result
// as `jq -r` does: strings raw, anything else as JSON indented two spaces
// (object keys sorted, as gojq orders them).
func writeJQ(w io.Writer, v any, expr string) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return usageErrorf("invalid --jq expression: %v", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return usageErrorf("invalid --jq expression: %v", err)
	}
	data, err := decodePlain(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	iter := code.Run(data)
	for {
		r, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := r.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			return fmt.Errorf("--jq: %w", err)
		}
		if s, ok := r.(string); ok {
			buf.WriteString(s)
			buf.WriteByte('\n')
			continue
		}
		b, err := gojq.Marshal(r)
		if err != nil {
			return fmt.Errorf("--jq: %w", err)
		}
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			return fmt.Errorf("--jq: %w", err)
		}
		buf.WriteByte('\n')
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// TemplateFuncs are the functions --template offers besides text/template's
// own:
//
//	join SEP LIST    the elements of LIST joined by SEP
//	ms2time MILLIS   epoch milliseconds as RFC 3339, in UTC
//	timeago MILLIS   epoch milliseconds relative to now ("3 days ago")
//	json VALUE       VALUE as compact JSON
func TemplateFuncs(now time.Time) template.FuncMap {
	millis := func(v any) (time.Time, error) {
		switch n := v.(type) {
		case json.Number:
			ms, err := n.Int64()
			return Millis(ms), err
		case int64:
			return Millis(n), nil
		case int:
			return Millis(int64(n)), nil
		case float64:
			return Millis(int64(n)), nil
		}
		return time.Time{}, fmt.Errorf("not a time in milliseconds: %v", v)
	}
	return template.FuncMap{
		"join": func(sep string, list []any) string {
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = fmt.Sprint(e)
			}
			return strings.Join(parts, sep)
		},
		"ms2time": func(v any) (string, error) {
			t, err := millis(v)
			return pipeTime(t), err
		},
		"timeago": func(v any) (string, error) {
			t, err := millis(v)
			return RelativeTime(t, now), err
		},
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}
}

// writeTemplate executes the Go template text over v's JSON (objects as
// maps, numbers as json.Number).
func writeTemplate(w io.Writer, v any, text string, now time.Time) error {
	tpl, err := template.New("--template").Funcs(TemplateFuncs(now)).Parse(text)
	if err != nil {
		return usageErrorf("invalid --template: %v", err)
	}
	data, err := decodePlain(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("--template: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
