package graphwalk

import (
	"context"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/store"
)

func BenchmarkPrepWalk(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, "/tmp/cairn-bench-100000.db", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := New(st)
	for _, vary := range []bool{false, true} {
		for _, depth := range []int{0, 3} {
			b.Run("", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					root := 17179869185 + 30
					if vary {
						root += (i * 7) % 1000
					}
					if _, err := w.Walk(ctx, root, Options{MaxDepth: depth}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
