package keyflags

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestFilters pins what a line of filter flags compiles to, and the
// words of each mistake (apikeyctl query's; the browser shows the same).
func TestFilters(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{name: "none", args: nil, want: "null"},
		{name: "wildcard name and metadata", args: []string{"--name", "ci-*", "--metadata", "env=prod"},
			want: `{"bool":{"filter":[{"wildcard":{"name":"ci-*"}},{"term":{"metadata.env":"prod"}}]}}`},
		{name: "owner and type", args: []string{"--owner=alice", "--type", "rest"},
			want: `{"bool":{"filter":[{"term":{"username":"alice"}},{"term":{"type":"rest"}}]}}`},
		{name: "two states", args: []string{"--active", "--expired"}, wantErr: "--active, --expired and --invalidated cannot be used together"},
		{name: "bad type", args: []string{"--type", "x"}, wantErr: `invalid --type "x": use rest or cross_cluster`},
		{name: "bad duration", args: []string{"--expires-within", "7"}, wantErr: `invalid --expires-within "7": give a number and a unit (s, m, h, d, w, M, y), such as 7d`},
		{name: "bad metadata", args: []string{"--metadata", "env"}, wantErr: `invalid --metadata "env": use key=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filters
			fs := pflag.NewFlagSet("query", pflag.ContinueOnError)
			f.Register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			q, err := f.Query(nil)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(q)
			if q == nil {
				got = []byte("null")
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestMetadataAndTimeValues(t *testing.T) {
	md, err := Metadata([]string{"a=1", "b=x=y"}, `{"n":2,"a":"j"}`)
	// Pairs replace a member where it is or come last: the order kept is
	// the order written (the answer's order is Elasticsearch's).
	var keys []string
	for _, m := range md {
		keys = append(keys, m.Key)
	}
	if got, _ := json.Marshal(md); err != nil || string(got) != `{"a":"1","b":"x=y","n":2}` || strings.Join(keys, ",") != "n,a,b" {
		t.Errorf("Metadata: %s (members %v), %v", got, keys, err)
	}
	for _, tt := range []struct{ value, wantErr string }{
		{"30d", ""},
		{"30", "--expiration: 30 has no unit; use e.g. 30m, 30d"},
		{"soon", "--expiration: failed to parse setting [expiration] with value [soon] as a time value: unit is missing or unrecognized; use a whole number and a unit (ms, s, m, h, d), e.g. 5m, 30d"},
	} {
		err := CheckTimeValue("expiration", tt.value)
		if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("CheckTimeValue(%q) = %v, want %q", tt.value, err, tt.wantErr)
		}
	}
	if _, err := Metadata([]string{"novalue"}, ""); err == nil || err.Error() != `--metadata "novalue": expected key=value` {
		t.Errorf("a pair without =: %v", err)
	}
}
