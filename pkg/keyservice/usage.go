package keyservice

import (
	"context"
	"hash/maphash"
	"net"
	"strings"
	"sync"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file records when each API key last authenticated, from where and
// how often (Options.RecordUsage). The credential check only notes a use
// in memory — a map entry updated under the lock of one of a few shards,
// no I/O, and no allocation but the first use of a key in an interval —
// and FlushUsage writes what was noted, one row per key used, in one
// transaction: the daemon calls it every --last-used-interval and when it
// stops, and apikeyctl --db's backend when it closes.

// usageShards spreads the keys over locks, so that concurrent
// authentications of different keys rarely wait for each other.
const usageShards = 16

// usageBuffer holds the uses noted since the last flush.
type usageBuffer struct {
	seed   maphash.Seed
	shards [usageShards]usageShard
	// flushMu serialises flushes, so that one that returns has written
	// everything noted before it began (another flush may hold some).
	flushMu sync.Mutex
}

type usageShard struct {
	mu sync.Mutex
	m  map[string]*usageNote
}

// usageNote is what a shard knows of a key's uses since the last flush;
// from is the origin's address as the request carried it (see
// usageFrom).
type usageNote struct {
	first, last int64
	from        string
	count       int64
}

// report is the note as a store report.
func (n *usageNote) report(id string) store.KeyUsage {
	return store.KeyUsage{ID: id, FirstUsed: n.first, LastUsed: n.last, LastFrom: usageFrom(n.from), Count: n.count}
}

func newUsageBuffer() *usageBuffer {
	b := &usageBuffer{seed: maphash.MakeSeed()}
	for i := range b.shards {
		b.shards[i].m = map[string]*usageNote{}
	}
	return b
}

func (b *usageBuffer) shard(id string) *usageShard {
	return &b.shards[maphash.String(b.seed, id)%usageShards]
}

// note records a use of the key id at the instant at (epoch ms) from the
// origin address addr.
func (b *usageBuffer) note(id, addr string, at int64) {
	sh := b.shard(id)
	sh.mu.Lock()
	n := sh.m[id]
	if n == nil {
		n = &usageNote{first: at}
		sh.m[id] = n
	}
	if at >= n.last {
		n.last, n.from = at, addr
	}
	n.count++
	sh.mu.Unlock()
}

// take empties the buffer and returns what it held.
func (b *usageBuffer) take() []store.KeyUsage {
	var out []store.KeyUsage
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		m := sh.m
		if len(m) == 0 {
			// The map stays the shard's: it must not be read unlocked.
			sh.mu.Unlock()
			continue
		}
		sh.m = make(map[string]*usageNote, len(m))
		sh.mu.Unlock()
		for id, n := range m {
			out = append(out, n.report(id))
		}
	}
	return out
}

// restore puts back reports a flush could not write, merged with what was
// noted since.
func (b *usageBuffer) restore(usage []store.KeyUsage) {
	for _, u := range usage {
		sh := b.shard(u.ID)
		sh.mu.Lock()
		if n := sh.m[u.ID]; n != nil {
			u.Merge(n.report(u.ID))
		}
		sh.m[u.ID] = &usageNote{first: u.FirstUsed, last: u.LastUsed, from: u.LastFrom, count: u.Count}
		sh.mu.Unlock()
	}
}

// pending returns the uses of the keys ids noted since the last flush.
func (b *usageBuffer) pending(ids []string) map[string]store.KeyUsage {
	out := map[string]store.KeyUsage{}
	for _, id := range ids {
		sh := b.shard(id)
		sh.mu.Lock()
		if n := sh.m[id]; n != nil {
			out[id] = n.report(id)
		}
		sh.mu.Unlock()
	}
	return out
}

// usageFrom is where a use comes from, given the address of its origin
// as the audit log names it: the client's IP address for TCP (without the
// port, which changes with every connection), "unix:uid=N" for a peer of
// the Unix socket, "uid=N" for a call in process.
func usageFrom(addr string) string {
	if strings.HasPrefix(addr, "unix:") {
		return addr
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// noteUse records a successful authentication of sub when it is an API
// key and usage is recorded. The origin's address is kept as it is, made
// a usageFrom only when written or read.
func (s *Service) noteUse(ctx context.Context, sub *auth.Subject) {
	if s.usage == nil || sub.APIKey == nil {
		return
	}
	o, _ := auth.OriginFrom(ctx)
	s.usage.note(sub.APIKey.ID, o.Address, s.nowMillis())
}

// FlushUsage writes the uses of API keys noted since the last flush, one
// row per key, in one transaction, with the expirations they set under
// rotations' until-unused rules (untilunused.go). What it cannot write
// stays noted for the next flush. It does nothing when usage is not
// recorded.
func (s *Service) FlushUsage(ctx context.Context) error {
	if s.usage == nil {
		return nil
	}
	s.usage.flushMu.Lock()
	defer s.usage.flushMu.Unlock()
	usage := s.usage.take()
	if len(usage) == 0 {
		return nil
	}
	var ended []string
	err := s.store.Update(ctx, func(w store.Writer) error {
		if err := w.RecordKeyUsage(ctx, usage); err != nil {
			return err
		}
		var err error
		ended, err = s.applyUntilUnused(ctx, w, usage)
		return err
	})
	if err != nil {
		s.usage.restore(usage)
		return s.internal("record the use of api keys", err)
	}
	s.secrets.evict(ended)
	return nil
}

// flushForSearch writes the uses noted so far before a search that
// filters or sorts on last_used, so that its answer counts them; a
// failure is logged, and the search goes on with what was written.
func (s *Service) flushForSearch(ctx context.Context, search query.Search) {
	if s.usage == nil || !search.Uses(query.FieldLastUsed) {
		return
	}
	if err := s.FlushUsage(ctx); err != nil {
		s.log.Warn("cannot write the last use of api keys before a search on last_used", "err", err)
	}
}

// addUsage sets the usage fields of keys (with_last_used): what the store
// holds, merged with the uses noted since the last flush.
func (s *Service) addUsage(ctx context.Context, keys []api.APIKey) error {
	if len(keys) == 0 {
		return nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	var stored map[string]store.KeyUsage
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		stored, err = r.GetKeyUsage(ctx, ids)
		return err
	})
	if err != nil {
		return s.internal("read the last use of api keys", err)
	}
	var pending map[string]store.KeyUsage
	if s.usage != nil {
		pending = s.usage.pending(ids)
	}
	for i := range keys {
		u, ok := stored[keys[i].ID]
		if p, noted := pending[keys[i].ID]; noted {
			if ok {
				u.Merge(p)
			} else {
				u, ok = p, true
			}
		}
		count := u.Count
		keys[i].UsageCount = &count
		if ok && u.LastUsed != 0 {
			last := u.LastUsed
			keys[i].LastUsed, keys[i].LastUsedFrom = &last, u.LastFrom
		}
	}
	return nil
}

var _ api.Dialect = (*Service)(nil)

// IsApikeyd reports that the key service takes apikeyd's extensions.
func (s *Service) IsApikeyd(context.Context) (bool, error) { return true, nil }
