package api

import "sort"

// Similar returns the candidates that look like name: those whose
// Similarity to it is above threshold, most alike first, then by name.
// Elasticsearch's "did you mean" suggestions are made this way (0.5 for
// unknown request parameters, 0.7 for unknown query and aggregation
// types).
func Similar(name string, candidates []string, threshold float32) []string {
	type scored struct {
		score float32
		name  string
	}
	var list []scored
	for _, c := range candidates {
		if s := Similarity(name, c); s > threshold {
			list = append(list, scored{s, c})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].name < list[j].name
	})
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.name
	}
	return names
}

// Similarity is Lucene's LevenshteinDistance.getDistance: 1 minus the edit
// distance (over characters) divided by the longer length.
func Similarity(target, other string) float32 {
	s, t := []rune(target), []rune(other)
	n, m := len(s), len(t)
	if n == 0 || m == 0 {
		if n == m {
			return 1
		}
		return 0
	}
	prev := make([]int, n+1)
	cur := make([]int, n+1)
	for i := range prev {
		prev[i] = i
	}
	for j := 1; j <= m; j++ {
		cur[0] = j
		for i := 1; i <= n; i++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[i] = min(cur[i-1]+1, prev[i]+1, prev[i-1]+cost)
		}
		prev, cur = cur, prev
	}
	return 1 - float32(prev[n])/float32(max(n, m))
}
