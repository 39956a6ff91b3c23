package api

import "context"

// This file is the contract of apikeyd's record of when each API key was
// last used: the with_last_used parameter of Get and Query adds
// last_used, last_used_from and usage_count to every key (see APIKey), and
// the query DSL takes last_used as a date field. Neither exists in
// Elasticsearch, which refuses the parameter with a 400: a client asks
// only a server it knows is apikeyd.

// Dialect is a Service that can tell whether it is apikeyd (or the key
// service itself, in --db mode), and so takes apikeyd's extensions.
type Dialect interface {
	IsApikeyd(ctx context.Context) (bool, error)
}
