package output

import (
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func rotateResponse() api.RotateAPIKeyResponse {
	return api.RotateAPIKeyResponse{
		CreateAPIKeyResponse: createResponse(),
		Predecessor:          api.RotatedAPIKey{ID: "n8sQzW1cRlq0bX3aYt4e", Expiration: *ms(day), UntilUnusedMillis: 30 * 60_000},
	}
}

// lineageResponse is a family of three generations seen from the middle:
// an expired eldest, the key, a rotation successor and a clone of it, and
// an invalidated clone of the key.
func lineageResponse() api.APIKeyLineage {
	return api.APIKeyLineage{
		Ancestors: []api.LineageKey{{ID: "ZPL0oGcBCdbkQm-e5aOx", Name: "billing", Creation: *ms(-90 * day), Expiration: ms(-day)}},
		APIKey: api.LineageKey{ID: "VuaCfGcBCdbkQm-e5aOx", Name: "billing", Parent: "ZPL0oGcBCdbkQm-e5aOx", Relation: api.RelationRotation,
			Creation: *ms(-2 * day), Expiration: ms(day), GraceEnd: ms(-day)},
		Descendants: []api.LineageKey{
			{ID: "n8sQzW1cRlq0bX3aYt4e", Name: "billing", Parent: "VuaCfGcBCdbkQm-e5aOx", Relation: api.RelationRotation, Creation: *ms(-day), Expiration: ms(88 * day), GraceEnd: ms(day)},
			{ID: "Qm9vX2RlcGxveS1jaS0x", Name: "billing-ci", Parent: "VuaCfGcBCdbkQm-e5aOx", Relation: api.RelationClone, Creation: *ms(-day), Invalidated: true},
			{ID: "Y2xvbmUtb2Ytc3VjY2Vz", Name: "billing-ci-2", Parent: "n8sQzW1cRlq0bX3aYt4e", Relation: api.RelationClone, Creation: *ms(-day / 2)},
		},
	}
}

func TestLineageGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    any
	}{
		{"rotate", rotateResponse()},
		{"lineage", lineageResponse()},
	} {
		for _, m := range allModes {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				opts := Options{}
				if !m.tty {
					opts.Format = Table
				}
				got := mustRun(t, m, opts, tt.v)
				if m.name != modeTTY.name && strings.Contains(got, "\x1b") {
					t.Errorf("escape sequence without colour:\n%q", got)
				}
				assertGolden(t, tt.name+"."+m.name, got)
			})
		}
	}
}

func TestDurationText(t *testing.T) {
	for _, tt := range []struct {
		ms   int64
		want string
	}{
		{1_800_000, "30m"}, {7_200_000, "2h"}, {86_400_000, "1d"}, {90_000, "90s"}, {1_500, "1500ms"},
	} {
		if got := durationText(tt.ms); got != tt.want {
			t.Errorf("durationText(%d) = %q, want %q", tt.ms, got, tt.want)
		}
	}
}
