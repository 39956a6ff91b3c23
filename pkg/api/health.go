package api

import (
	"regexp"
	"strconv"
	"strings"
)

// ClusterHealthRequest is GET /_cluster/health and
// /_cluster/health/{index}: the query parameters of Elasticsearch's
// cluster.health, as given (empty when absent).
type ClusterHealthRequest struct {
	// Indices are the comma-separated names of the {index} path part.
	Indices                     []string
	Level                       string
	Local                       bool
	MasterTimeout               string
	Timeout                     string
	WaitForActiveShards         string
	WaitForNodes                string
	WaitForEvents               string
	WaitForNoInitializingShards bool
	WaitForNoRelocatingShards   bool
	WaitForStatus               string
	ExpandWildcards             string
	// Human adds the human-readable fields (?human).
	Human bool
}

// Cluster health statuses, from the best to the worst.
const (
	HealthGreen  = "green"
	HealthYellow = "yellow"
	HealthRed    = "red"
)

// healthRank orders the statuses: a status meets a wait for any status of
// the same or a higher rank.
var healthRank = map[string]int{HealthGreen: 0, HealthYellow: 1, HealthRed: 2}

// HealthMeets reports whether status meets wait_for_status want.
func HealthMeets(status, want string) bool {
	return healthRank[status] <= healthRank[strings.ToLower(want)]
}

var (
	waitForEventsPriorities = []string{"immediate", "urgent", "high", "normal", "low", "languid"}
	expandWildcardsOptions  = []string{"open", "closed", "hidden", "none", "all"}
	waitForNodesPattern     = regexp.MustCompile(`^(>=|<=|>|<|)(\d+)$|^(ge|le|gt|lt)\((\d+)\)$`)
)

// Check validates the parameters as Elasticsearch's REST layer parses
// them, with its messages.
func (r *ClusterHealthRequest) Check() error {
	if r.Level != "" && r.Level != "cluster" && r.Level != "indices" && r.Level != "shards" {
		return Errorf(Invalid, "level parameter must be one of [cluster] or [indices] or [shards] but was [%s]", r.Level)
	}
	for _, t := range []struct{ name, value string }{{"master_timeout", r.MasterTimeout}, {"timeout", r.Timeout}} {
		if t.value != "" {
			if _, err := ParseTimeValue(t.value, t.name); err != nil {
				return err
			}
		}
	}
	if s := r.WaitForStatus; s != "" {
		if _, ok := healthRank[strings.ToLower(s)]; !ok {
			return Errorf(Invalid, "unknown cluster health status [%s]", s)
		}
	}
	if e := r.WaitForEvents; e != "" && !containsFold(waitForEventsPriorities, e) {
		return Errorf(Invalid, "No enum constant org.elasticsearch.common.Priority.%s", strings.ToUpper(e))
	}
	if err := checkActiveShardCount(r.WaitForActiveShards); err != nil {
		return err
	}
	if n := r.WaitForNodes; n != "" && !waitForNodesPattern.MatchString(n) {
		return Errorf(Invalid, "For input string: \"%s\"", n)
	}
	if r.ExpandWildcards != "" {
		for _, w := range strings.Split(r.ExpandWildcards, ",") {
			if !containsFold(expandWildcardsOptions, w) {
				return Errorf(Invalid, "No valid expand wildcard value [%s]", w)
			}
		}
	}
	return nil
}

// checkActiveShardCount validates wait_for_active_shards as
// Elasticsearch's ActiveShardCount.parseString does.
func checkActiveShardCount(v string) error {
	switch strings.ToLower(v) {
	case "", "all", "index-setting":
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return Errorf(Invalid, "For input string: \"%s\"", v)
	}
	if n < 0 {
		return Errorf(Invalid, "shard count cannot be a negative value")
	}
	return nil
}

// WaitForNodesMet reports whether a cluster of nodes nodes meets
// wait_for_nodes spec (N, >=N, <=N, >N, <N, ge(N), le(N), gt(N), lt(N));
// spec must have passed Check.
func WaitForNodesMet(spec string, nodes int) bool {
	m := waitForNodesPattern.FindStringSubmatch(spec)
	if m == nil {
		return false
	}
	n, err := strconv.Atoi(m[2] + m[4])
	if err != nil {
		return false
	}
	switch m[1] + m[3] {
	case ">=", "ge":
		return nodes >= n
	case "<=", "le":
		return nodes <= n
	case ">", "gt":
		return nodes > n
	case "<", "lt":
		return nodes < n
	default:
		return nodes == n
	}
}

func containsFold(options []string, v string) bool {
	for _, o := range options {
		if strings.EqualFold(o, v) {
			return true
		}
	}
	return false
}

// ClusterHealthResponse is the body of GET /_cluster/health, in
// Elasticsearch's field order. The human-readable fields appear only with
// ?human, before their raw twins, as Elasticsearch writes them.
type ClusterHealthResponse struct {
	ClusterName                 string  `json:"cluster_name"`
	Status                      string  `json:"status"`
	TimedOut                    bool    `json:"timed_out"`
	NumberOfNodes               int     `json:"number_of_nodes"`
	NumberOfDataNodes           int     `json:"number_of_data_nodes"`
	ActivePrimaryShards         int     `json:"active_primary_shards"`
	ActiveShards                int     `json:"active_shards"`
	RelocatingShards            int     `json:"relocating_shards"`
	InitializingShards          int     `json:"initializing_shards"`
	UnassignedShards            int     `json:"unassigned_shards"`
	UnassignedPrimaryShards     int     `json:"unassigned_primary_shards"`
	DelayedUnassignedShards     int     `json:"delayed_unassigned_shards"`
	NumberOfPendingTasks        int     `json:"number_of_pending_tasks"`
	NumberOfInFlightFetch       int     `json:"number_of_in_flight_fetch"`
	TaskMaxWaitingInQueue       string  `json:"task_max_waiting_in_queue,omitempty"`
	TaskMaxWaitingInQueueMillis int64   `json:"task_max_waiting_in_queue_millis"`
	ActiveShardsPercent         string  `json:"active_shards_percent,omitempty"`
	ActiveShardsPercentAsNumber Percent `json:"active_shards_percent_as_number"`
	// Indices is present (empty on apikeyd, which has no index) with
	// level=indices or level=shards.
	Indices *map[string]any `json:"indices,omitempty"`
}

// Percent is a percentage written as Elasticsearch's Java doubles are:
// always with a fraction ("100.0", not "100").
type Percent float64

// MarshalJSON writes the number with at least one fractional digit.
func (p Percent) MarshalJSON() ([]byte, error) {
	s := strconv.FormatFloat(float64(p), 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return []byte(s), nil
}

// UnmarshalJSON reads any JSON number.
func (p *Percent) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*p = Percent(f)
	return nil
}
