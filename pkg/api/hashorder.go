package api

import (
	"slices"
	"unicode/utf16"
)

// Elasticsearch reads an object of metadata with XContentParser.map(),
// which builds a java.util.HashMap, and stores and returns it from that
// map: the members of metadata come back in the order a HashMap iterates
// them, not in the order they were written. javaHashOrder reproduces that
// order, so that apikeyd's answers are Elasticsearch's byte for byte.
//
// A HashMap made with its default capacity (16) doubles its table when it
// holds more than three quarters of it, and when one bucket reaches nine
// entries while the table is smaller than 64. Iteration walks the buckets
// in order, and a bucket's entries in the order they were put (a resize
// keeps that order). Buckets of nine or more entries in a table of 64 or
// more become trees, whose order this does not reproduce: that takes
// nine keys of one object with the same low hash bits.

// javaHashOrder returns the indexes of keys, in the order a HashMap into
// which they were put in turn iterates them.
func javaHashOrder(keys []string) []int {
	hashes := make([]uint32, len(keys))
	for i, k := range keys {
		hashes[i] = javaSpread(javaStringHash(k))
	}
	tableSize := uint32(16)
	bucketSizes := map[uint32]int{}
	recount := func(n int) {
		clear(bucketSizes)
		for _, h := range hashes[:n] {
			bucketSizes[h&(tableSize-1)]++
		}
	}
	for i, h := range hashes {
		b := h & (tableSize - 1)
		// putVal turns a bucket that already holds eight entries into a
		// tree, which in a small table means a resize.
		if bucketSizes[b] >= 8 && tableSize < 64 {
			tableSize *= 2
			recount(i)
		}
		bucketSizes[h&(tableSize-1)]++
		if uint32(i+1) > tableSize/4*3 {
			tableSize *= 2
			recount(i + 1)
		}
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return int(hashes[a]&(tableSize-1)) - int(hashes[b]&(tableSize-1))
	})
	return order
}

// javaStringHash is java.lang.String.hashCode: s*31 over its UTF-16 code
// units, in 32-bit arithmetic.
func javaStringHash(s string) uint32 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + uint32(hi)
			h = 31*h + uint32(lo)
			continue
		}
		h = 31*h + uint32(r)
	}
	return h
}

// javaSpread is HashMap.hash: the high half of the hash folded into the
// low one.
func javaSpread(h uint32) uint32 { return h ^ h>>16 }
