package keyservice

import (
	"context"
	"errors"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file enforces a rotation's until-unused rule (rotate --until-unused)
// where the uses of keys are written (FlushUsage): the old key's
// expiration becomes rotationDeadline's instant, recomputed whenever the
// old key or its successor was used, so that get, query and tree show
// when it stops and the credential check needs nothing more than the
// expiration it already checks.

// rotationPair is a rotated key and its successor under an until-unused
// rule.
type rotationPair struct {
	old, successor string
	lineage        *store.Lineage
}

// untilUnusedPairs lists the rotations with an until-unused rule that the
// keys used touch, as old key or as successor.
func untilUnusedPairs(ctx context.Context, r store.Reader, usage []store.KeyUsage) ([]rotationPair, error) {
	ids := make([]string, len(usage))
	for i, u := range usage {
		ids[i] = u.ID
	}
	rotations, err := r.UntilUnusedRotations(ctx, ids)
	if err != nil {
		return nil, err
	}
	pairs := make([]rotationPair, 0, len(rotations))
	for successor, l := range rotations {
		pairs = append(pairs, rotationPair{old: l.Parent, successor: successor, lineage: l})
	}
	return pairs, nil
}

// applyUntilUnused sets the expiration of the old keys of the rotations
// the keys used touch to the instant their until-unused rule ends them,
// from the uses written in w, and returns the keys it changed. An old key
// already expired or invalidated is left alone: the rule never revives a
// key, and never extends one past the end of its grace.
func (s *Service) applyUntilUnused(ctx context.Context, w store.Writer, usage []store.KeyUsage) ([]string, error) {
	pairs, err := untilUnusedPairs(ctx, w, usage)
	if err != nil || len(pairs) == 0 {
		return nil, err
	}
	now := s.nowMillis()
	var changed []string
	for _, p := range pairs {
		used, err := w.GetKeyUsage(ctx, []string{p.old, p.successor})
		if err != nil {
			return nil, err
		}
		var graceEnd int64
		if p.lineage.GraceEnd != nil {
			graceEnd = *p.lineage.GraceEnd
		}
		deadline := rotationDeadline(graceEnd, p.lineage.UntilUnused, used[p.old].LastUsed, used[p.successor].FirstUsed)
		if deadline == 0 {
			continue
		}
		k, err := w.GetAPIKey(ctx, p.old)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !active(k, now) || (k.Expiration != nil && *k.Expiration == deadline) {
			continue
		}
		k.Expiration = &deadline
		if err := w.UpdateAPIKey(ctx, k); err != nil {
			return nil, err
		}
		changed = append(changed, p.old)
	}
	return changed, nil
}
