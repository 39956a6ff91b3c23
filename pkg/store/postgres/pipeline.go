package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file saves the round trips of many key updates in one Update
// (keyservice's bulk update: FindAPIKeys, then UpdateAPIKey per key).
// Each member function of a write batch gets its own writer, whose
// transaction is a pipelineTx: UpdateAPIKey queues its statements there
// instead of sending them, and the queue is sent as one pgx pipeline
// before any other statement of the member and when its function
// returns nil. The rows the member read by GetAPIKey and FindAPIKeys, or
// wrote by UpdateAPIKey, since its last other statement are known to it:
// UpdateAPIKey compares with them rather than reading the row again.
// They are still current, since the batch's transaction holds the
// generation's row lock, which every writer takes first; the version in
// each queued UPDATE's WHERE clause still decides, and a queued UPDATE
// that finds its row changed fails the member.

// maxQueued bounds the statements a pipelineTx queues before sending them.
const maxQueued = 3000

// pipelineTx is a member's transaction with its queued key updates.
type pipelineTx struct {
	pgx.Tx
	queue *pgx.Batch
	// known holds copies of the rows read or written since the last
	// statement sent for anything else, by id.
	known map[string]*store.APIKey
	// err is the failure of a queue sent, which fails every later
	// statement and the member.
	err error
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

// flush sends the queued statements, if any, in one pipeline.
func (t *pipelineTx) flush(ctx context.Context) error {
	if t.err != nil {
		return t.err
	}
	if t.queue == nil || t.queue.Len() == 0 {
		return nil
	}
	b := t.queue
	t.queue = nil
	if err := t.Tx.SendBatch(ctx, b).Close(); err != nil {
		t.err = fmt.Errorf("queued api key updates: %w", err)
	}
	return t.err
}

// enqueue adds a statement to the queue, sending the queue when full.
func (t *pipelineTx) enqueue(ctx context.Context, sql string, args []any, check func(pgx.Row) error) error {
	if t.queue == nil {
		t.queue = &pgx.Batch{}
	}
	q := t.queue.Queue(sql, args...)
	if check != nil {
		q.QueryRow(check)
	}
	if t.queue.Len() >= maxQueued {
		return t.flush(ctx)
	}
	return nil
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
