package store

import "github.com/apikeyctl/apikeyctl/pkg/query"

// KeySearch asks Reader.QueryAPIKeys for one page of the keys a query
// matches. The query, sort and page are query.Search: a store compiles the
// tree to its own query language, and must give the results
// query.Search.Apply gives over the same keys (storetest checks it).
type KeySearch struct {
	query.Search
	// Matches asks for every matching key as a query.Doc too, for the
	// aggregations evaluated in memory.
	Matches bool
	// Groups asks for the matching keys counted by the values of each of
	// these fields (query.Groups), for the aggregations a count per value
	// answers (query.Agg.GroupField). A store computes them over its
	// indexes, without reading the keys.
	Groups []query.Field
}

// KeyPage is the answer of QueryAPIKeys.
type KeyPage struct {
	// Total is the number of keys the query matches, whatever the page.
	Total int
	// Keys is the page: the keys in order, after SearchAfter, From and
	// Size. Sort holds each key's raw sort values, one per sort clause
	// (see query.Sort.SortValue).
	Keys []*APIKey
	Sort [][]any
	// Matches are all the matching keys in index order, when asked for.
	// Their Seq is the store's index order, the _doc sort value.
	Matches []*query.Doc
	// Groups are the groups of KeySearch.Groups, in its order.
	Groups []*query.Groups
}
