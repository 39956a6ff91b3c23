package keyservice

import (
	"math"
	"testing"
)

func TestRotationDeadline(t *testing.T) {
	const (
		grace  = int64(100_000)
		unused = int64(10_000)
	)
	tests := []struct {
		name                                      string
		graceEnd, untilUnused, oldLast, succFirst int64
		want                                      int64
	}{
		{"no rule: the grace end", grace, 0, 50_000, 40_000, grace},
		{"successor never used: the grace end", grace, unused, 50_000, 0, grace},
		{"old key unused since the successor's first use", grace, unused, 20_000, 30_000, 40_000},
		{"old key never used: from the successor's first use", grace, unused, 0, 30_000, 40_000},
		{"old key used after the successor: from its last use", grace, unused, 60_000, 30_000, 70_000},
		{"never past the grace end", grace, unused, 95_000, 30_000, grace},
		{"no grace end: the rule alone", 0, unused, 0, 30_000, 40_000},
		{"no grace end, no use: never", 0, unused, 0, 0, 0},
		{"overflow: the grace end", grace, math.MaxInt64, 0, 30_000, grace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rotationDeadline(tt.graceEnd, tt.untilUnused, tt.oldLast, tt.succFirst); got != tt.want {
				t.Errorf("rotationDeadline(%d, %d, %d, %d) = %d, want %d", tt.graceEnd, tt.untilUnused, tt.oldLast, tt.succFirst, got, tt.want)
			}
		})
	}
}
