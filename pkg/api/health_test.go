package api

import (
	"encoding/json"
	"testing"
)

func TestWaitForNodesMet(t *testing.T) {
	tests := []struct {
		spec string
		want bool
	}{
		{"1", true}, {"2", false}, {">=1", true}, {">=2", false}, {"<=1", true}, {"<=0", false},
		{">0", true}, {">1", false}, {"<2", true}, {"<1", false},
		{"ge(1)", true}, {"ge(2)", false}, {"le(1)", true}, {"gt(0)", true}, {"gt(1)", false}, {"lt(2)", true}, {"lt(1)", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			if err := (&ClusterHealthRequest{WaitForNodes: tt.spec}).Check(); err != nil {
				t.Fatal(err)
			}
			if got := WaitForNodesMet(tt.spec, 1); got != tt.want {
				t.Fatalf("WaitForNodesMet(%q, 1) = %v", tt.spec, got)
			}
		})
	}
}

func TestClusterHealthRequestCheck(t *testing.T) {
	tests := []struct {
		name string
		req  ClusterHealthRequest
		want string // empty: valid
	}{
		{"empty", ClusterHealthRequest{}, ""},
		{"statuses", ClusterHealthRequest{WaitForStatus: "Red"}, ""},
		{"active shards", ClusterHealthRequest{WaitForActiveShards: "index-setting"}, ""},
		{"bad nodes", ClusterHealthRequest{WaitForNodes: "=>1"}, `For input string: "=>1"`},
		{"negative shards", ClusterHealthRequest{WaitForActiveShards: "-2"}, "shard count cannot be a negative value"},
		{"bad shards", ClusterHealthRequest{WaitForActiveShards: "many"}, `For input string: "many"`},
		{"bad master_timeout", ClusterHealthRequest{MasterTimeout: "1.5s"}, "failed to parse [1.5s], fractional time values are not supported"},
		{"unknown status of the spec", ClusterHealthRequest{WaitForStatus: "unavailable"}, "unknown cluster health status [unavailable]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Check()
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || err.(*Error).Reason != tt.want):
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestPercentJSON(t *testing.T) {
	for in, want := range map[Percent]string{100: "100.0", 0: "0.0", 75.5: "75.5"} {
		got, err := json.Marshal(in)
		if err != nil || string(got) != want {
			t.Errorf("%v: %s, %v; want %s", float64(in), got, err, want)
		}
		var back Percent
		if err := json.Unmarshal(got, &back); err != nil || back != in {
			t.Errorf("round trip of %s: %v, %v", got, back, err)
		}
	}
}
