// Package bench holds Cairn's end-to-end benchmarks (make bench): the
// synthetic estate served over real HTTP to a load generator in the same
// process, compared with the raw SQL doing the same work. Figures go to
// BENCHMARKS.md.
package bench
