package output

import (
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Format
		wantErr string
	}{
		{name: "empty is auto", in: "", want: Auto},
		{name: "json", in: "json", want: JSON},
		{name: "yaml", in: "yaml", want: YAML},
		{name: "jsonl", in: "jsonl", want: JSONL},
		{name: "table", in: "table", want: Table},
		{name: "wide", in: "wide", want: Wide},
		{name: "upper case", in: "JSON", want: JSON},
		{name: "spaces", in: " yaml ", want: YAML},
		{name: "unknown", in: "xml", wantErr: `invalid output format "xml": valid formats are json, yaml, jsonl, table, wide`},
		{name: "yml is not yaml", in: "yml", wantErr: "valid formats are"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if !IsUsageError(err) {
					t.Errorf("err %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatFlagValue(t *testing.T) {
	var f Format
	if err := f.Set("yaml"); err != nil || f != YAML {
		t.Fatalf("Set(yaml): %v, %q", err, f)
	}
	if err := f.Set("csv"); err == nil {
		t.Fatal("Set(csv) succeeded")
	}
	if f != YAML {
		t.Errorf("a failed Set changed the value to %q", f)
	}
	if f.String() != "yaml" || f.Type() != "format" {
		t.Errorf("String() = %q, Type() = %q", f.String(), f.Type())
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "zero", opts: Options{}},
		{name: "field", opts: Options{Field: "id"}},
		{name: "field with json", opts: Options{Format: JSON, Field: "id"}},
		{name: "field with yaml", opts: Options{Format: YAML, Field: "id"}, wantErr: "--field cannot be used with -o yaml"},
		{name: "jq with table", opts: Options{Format: Table, JQ: ".id"}, wantErr: "--jq cannot be used with -o table"},
		{name: "field and jq", opts: Options{Field: "id", JQ: ".id"}, wantErr: "--field and --jq cannot be used together"},
		{name: "all three", opts: Options{Field: "id", JQ: ".", Template: "x"}, wantErr: "--field and --jq and --template cannot be used together"},
		{name: "bad format", opts: Options{Format: "xml"}, wantErr: "invalid output format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if !IsUsageError(err) {
				t.Errorf("err %v is not a usage error", err)
			}
		})
	}
}
