package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file saves the round trips and statements of many key updates in
// one Update (keyservice's bulk update: FindAPIKeys, then UpdateAPIKey
// per key). Each member function of a write batch gets its own writer,
// whose transaction is a pipelineTx: UpdateAPIKey queues its change there
// instead of sending it, and the queue is sent before any other statement
// of the member and when its function returns nil, as one pipeline of
// set-based statements: one UPDATE per set of changed columns, one DELETE
// and one INSERT of metadata leaves. The rows the member read by
// GetAPIKey and FindAPIKeys, or wrote by UpdateAPIKey, since its last
// other statement are known to it: UpdateAPIKey compares with them rather
// than reading the row again. They are still current, since the batch's
// transaction holds the generation's row lock, which every writer takes
// first; the version in the WHERE clause of the queued UPDATEs still
// decides, and a queued change that finds its row changed fails the
// member.

// maxQueued bounds the changes a pipelineTx queues before sending them.
const maxQueued = 5000

// pipelineTx is a member's transaction with its queued key updates.
type pipelineTx struct {
	pgx.Tx
	// queue holds the changes not sent yet, at most one per key.
	queue  []*queuedUpdate
	queued map[string]bool
	// known holds copies of the rows read or written since the last
	// statement sent for anything else, by id.
	known map[string]*store.APIKey
	// err is the failure of a queue sent, which fails every later
	// statement and the member.
	err error
}

// queuedUpdate is the change of one key that UpdateAPIKey queued: the
// columns it changes and, when its metadata changes, the new metadata
// leaves.
type queuedUpdate struct {
	id      string
	version int64
	changes []columnChange
	// metadata is set when the metadata changes, to paths and values.
	metadata      bool
	paths, values []string
}

// pipelined wraps fn so that it runs with its own pipelining writer,
// whose queue is sent when fn returns nil.
func pipelined(ctx context.Context, fn func(store.Writer) error) func(store.Writer) error {
	return func(sw store.Writer) error {
		w, ok := sw.(*writer)
		if !ok {
			return fn(sw)
		}
		p := &pipelineTx{Tx: w.tx}
		if err := fn(&writer{reader{tx: p}}); err != nil {
			return err
		}
		return p.flush(ctx)
	}
}

// enqueue queues u, first sending the queue when it is full or holds a
// change of the same key.
func (t *pipelineTx) enqueue(ctx context.Context, u *queuedUpdate) error {
	if len(t.queue) >= maxQueued || t.queued[u.id] {
		if err := t.flush(ctx); err != nil {
			return err
		}
	}
	if t.queued == nil {
		t.queued = make(map[string]bool)
	}
	t.queue = append(t.queue, u)
	t.queued[u.id] = true
	return t.err
}

// flush sends the queued changes, if any, in one pipeline.
func (t *pipelineTx) flush(ctx context.Context) error {
	if t.err != nil || len(t.queue) == 0 {
		return t.err
	}
	b := updateBatch(t.queue)
	t.queue = t.queue[:0]
	clear(t.queued)
	if err := t.Tx.SendBatch(ctx, b).Close(); err != nil {
		t.err = fmt.Errorf("queued api key updates: %w", err)
	}
	return t.err
}

// updateBatch compiles the changes of distinct keys to a batch: for each
// set of changed columns, in the order first queued, one UPDATE of the
// keys whose version is still the one read, failing when one of them is
// not; then one DELETE of the old metadata leaves of those whose metadata
// changes and one INSERT of their new ones.
func updateBatch(queue []*queuedUpdate) *pgx.Batch {
	var (
		order  []string
		shapes = map[string][]*queuedUpdate{}
		// The metadata leaves, by key.
		leafIDs, leafKeys, paths, values []string
	)
	for _, u := range queue {
		columns := make([]string, len(u.changes))
		for i, c := range u.changes {
			columns[i] = c.column
		}
		shape := strings.Join(columns, ",")
		if _, ok := shapes[shape]; !ok {
			order = append(order, shape)
		}
		shapes[shape] = append(shapes[shape], u)
		if u.metadata {
			leafIDs = append(leafIDs, u.id)
			for i := range u.paths {
				leafKeys, paths, values = append(leafKeys, u.id), append(paths, u.paths[i]), append(values, u.values[i])
			}
		}
	}
	b := &pgx.Batch{}
	for _, shape := range order {
		group := shapes[shape]
		query, args := groupUpdate(group)
		b.Queue(query, args...).Query(func(rows pgx.Rows) error {
			updated := make(map[string]bool, len(group))
			for rows.Next() {
				id, err := scanID(rows)
				if err != nil {
					return err
				}
				updated[id] = true
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, u := range group {
				if !updated[u.id] {
					return fmt.Errorf("update api key %q: version %d changed under the write lock", u.id, u.version)
				}
			}
			return nil
		})
	}
	if len(leafIDs) > 0 {
		b.Queue(deleteLeavesOfSQL, leafIDs)
	}
	if len(leafKeys) > 0 {
		b.Queue(insertLeavesOfSQL, leafKeys, paths, values)
	}
	return b
}

// groupUpdate compiles the changes of keys that change the same columns
// to one UPDATE that returns the ids of the keys it updated.
func groupUpdate(group []*queuedUpdate) (string, []any) {
	ids := make([]string, len(group))
	versions := make([]int64, len(group))
	for i, u := range group {
		ids[i], versions[i] = u.id, u.version
	}
	args := []any{ids, versions}
	sets := []string{"version = k.version + 1"}
	params := []string{"$1::text[]", "$2::bigint[]"}
	names := []string{"id", "version"}
	for c := range group[0].changes {
		column := make([]*string, len(group))
		for i, u := range group {
			column[i] = u.changes[c].value
		}
		args = append(args, column)
		ch := group[0].changes[c]
		sets = append(sets, ch.column+" = v."+ch.column+"::"+ch.typ)
		params = append(params, "$"+strconv.Itoa(len(args))+"::text[]")
		names = append(names, ch.column)
	}
	return "UPDATE api_keys AS k SET " + strings.Join(sets, ", ") +
		" FROM unnest(" + strings.Join(params, ", ") + ") AS v (" + strings.Join(names, ", ") + ")" +
		" WHERE k.id = v.id AND k.version = v.version RETURNING k.id", args
}

// sending is called before any statement other than a queued one: it
// forgets the known rows, which that statement may change, and sends the
// queue, so that the statement sees its writes.
func (t *pipelineTx) sending(ctx context.Context) error {
	clear(t.known)
	return t.flush(ctx)
}

func (t *pipelineTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.sending(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.Tx.Exec(ctx, sql, args...)
}

func (t *pipelineTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.sending(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Query(ctx, sql, args...)
}

func (t *pipelineTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.sending(ctx); err != nil {
		return errRow{err}
	}
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t *pipelineTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.sending(ctx); err != nil {
		return errBatch{err}
	}
	return t.Tx.SendBatch(ctx, b)
}

func (t *pipelineTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.sending(ctx); err != nil {
		return 0, err
	}
	return t.Tx.CopyFrom(ctx, table, columns, src)
}

// SendBatch sends b under the batch's context, as memberTx's other
// statements are (commit.go).
func (t memberTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if ctx.Err() != nil {
		return errBatch{context.Cause(ctx)}
	}
	return t.Tx.SendBatch(t.batch, b)
}

// errBatch is a pgx.BatchResults that fails with err.
type errBatch struct{ err error }

func (r errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, r.err }
func (r errBatch) Query() (pgx.Rows, error)         { return nil, r.err }
func (r errBatch) QueryRow() pgx.Row                { return errRow{r.err} }
func (r errBatch) Close() error                     { return r.err }
func (r errBatch) Tx() pgx.Tx                       { return nil }

// remember records copies of keys as the rows this member knows, when its
// transaction pipelines.
func (w *writer) remember(keys ...*store.APIKey) {
	p, ok := w.tx.(*pipelineTx)
	if !ok {
		return
	}
	if p.known == nil {
		p.known = make(map[string]*store.APIKey, len(keys))
	}
	for _, k := range keys {
		p.known[k.ID] = cloneKey(k)
	}
}

// knownKey returns the row id as this member knows it, nil when it does
// not.
func (w *writer) knownKey(id string) *store.APIKey {
	if p, ok := w.tx.(*pipelineTx); ok {
		return p.known[id]
	}
	return nil
}

// GetAPIKey returns the key with id, or store.ErrNotFound, and remembers it.
func (w *writer) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	k, err := w.reader.GetAPIKey(ctx, id)
	if err == nil {
		w.remember(k)
	}
	return k, err
}

// FindAPIKeys returns the keys matching f, ordered by creation then id,
// and remembers them.
func (w *writer) FindAPIKeys(ctx context.Context, f store.KeyFilter) ([]*store.APIKey, error) {
	keys, err := w.reader.FindAPIKeys(ctx, f)
	if err == nil {
		w.remember(keys...)
	}
	return keys, err
}

// cloneKey copies k deeply but for its Lineage, which updates leave alone.
func cloneKey(k *store.APIKey) *store.APIKey {
	c := *k
	c.Expiration = clonePtr(k.Expiration)
	c.Invalidation = clonePtr(k.Invalidation)
	c.RoleDescriptors = bytes.Clone(k.RoleDescriptors)
	c.LimitedBy = bytes.Clone(k.LimitedBy)
	c.Metadata = bytes.Clone(k.Metadata)
	c.CertificateIdentity = clonePtr(k.CertificateIdentity)
	c.AllowedNetworks = slices.Clone(k.AllowedNetworks)
	c.Creator.FullName = clonePtr(k.Creator.FullName)
	c.Creator.Email = clonePtr(k.Creator.Email)
	c.Creator.Metadata = bytes.Clone(k.Creator.Metadata)
	c.Lineage = nil
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
