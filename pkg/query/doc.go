// Package query is Elasticsearch's Query API keys language: it parses the
// body of GET|POST /_security/_query/api_key (query, from, size, sort,
// search_after and aggregations) into a typed tree, refusing what
// Elasticsearch refuses with the same 400 errors, and it holds a plain
// in-memory evaluator of that tree.
//
// The same machinery reads the bodies of the query users and query roles
// APIs (GET|POST /_security/_query/user and /_security/_query/role): a
// Schema (APIKeys, Users, Roles) names the fields each API allows, as
// Elasticsearch's FieldNameTranslators do, and the parser its errors
// quote; those APIs take no aggregations. Users and roles are few, so
// they are searched by the evaluator over documents built with NewDoc:
// users' full_name and email and roles' description are text fields,
// analysed into terms (see textAnalyzer), which cannot be sorted on.
//
// The tree is small on purpose: every query type of the DSL (bool,
// match_all, term, terms, range, prefix, wildcard, ids, exists, match and
// simple_query_string) is resolved at parse time into the nodes MatchAll,
// MatchNone, Bool, IDs, Term, Range, Prefix, Wildcard, Exists and Fuzzy over
// typed fields (see Field), with dates already turned into epoch
// milliseconds. A store compiles these nodes to its own query language
// (SQL in store/sqlite); the evaluator (Match, Search.Apply) is the
// reference those compiled queries are tested against, and computes the
// aggregations over the keys a query matched (Aggregate).
//
// Field semantics follow the security index mapping: username, realm_name
// (also accepted as realm), name and type are keywords; creation,
// expiration and invalidation are dates in epoch_millis format;
// invalidated is a boolean; metadata is a flattened field whose every leaf
// is a keyword (numbers and booleans compare as the text they were written
// with), metadata alone meaning all its leaves.
//
// Where things are:
//
//	parse.go            the request body: Read, Parse, Search, Sort
//	dsl*.go             the DSL as written: one parser per query family,
//	                    sort and search_after
//	resolve.go          the DSL resolved against the fields into the tree
//	tree.go, fields.go  the typed tree and its fields; Match evaluates it
//	sqs.go, analyze.go  simple_query_string and the analyzers of match
//	agg*.go             aggregations: parsed (aggparse), resolved (aggs,
//	                    aggs_terms) and evaluated (aggeval, aggeval_buckets)
//	date*.go            date formats, Java-style patterns and date math
//	flatten.go          metadata as leaves, for the store's side table
//	search.go           paging and sorting of the evaluator
//	schema.go           the users' and roles' fields, text analysis, NewDoc
package query
