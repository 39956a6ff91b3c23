//go:build race

package main

// raceEnabled: the race detector slows apikeyd's SQLite (Go code) some
// twentyfold, so the process tests size their work down under it.
const raceEnabled = true
