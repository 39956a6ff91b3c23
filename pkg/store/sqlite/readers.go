package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is the read pool: readConns connections, each opened when
// first needed, each keeping the statements it has prepared — the hot
// ones and the searches compiled at run time alike — so that a View runs
// them without parsing SQL again. database/sql prepares a statement on a
// pool only while a connection is free (a View would wait for itself) and
// drops the statements of a transaction at its end, so a View takes a
// connection of its own and begins and ends its transaction with plain
// BEGIN and COMMIT (or ROLLBACK) on it.

// readStmtCache bounds the statements a read connection keeps; past it,
// the one prepared longest ago is finalised.
const readStmtCache = 256

// readConn is one connection of the read pool.
type readConn struct {
	conn  *sql.Conn // nil until first used, or after it failed
	stmts map[string]*sql.Stmt
	order []string // queries of stmts, in the order they were prepared
}

// takeReader takes a read connection from the pool, opening it when
// needed; the caller gives it back with putReader.
func (db *DB) takeReader(ctx context.Context) (*readConn, error) {
	var rc *readConn
	select {
	case rc = <-db.readers:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if err := db.openReader(ctx, rc); err != nil {
		db.readers <- rc
		return nil, err
	}
	return rc, nil
}

// openReader opens rc's connection unless it is open.
func (db *DB) openReader(ctx context.Context, rc *readConn) error {
	if rc.conn != nil {
		return nil
	}
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open a read connection: %w", err)
	}
	rc.conn, rc.stmts, rc.order = conn, map[string]*sql.Stmt{}, nil
	return nil
}

func (db *DB) putReader(rc *readConn) { db.readers <- rc }

// stmt returns the connection's prepared statement of query.
func (rc *readConn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := rc.stmts[query]; ok {
		return st, nil
	}
	st, err := rc.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(rc.order) >= readStmtCache {
		oldest := rc.order[0]
		rc.stmts[oldest].Close()
		delete(rc.stmts, oldest)
		rc.order = rc.order[1:]
	}
	rc.stmts[query] = st
	rc.order = append(rc.order, query)
	return st, nil
}

// exec runs one of the transaction statements (BEGIN, COMMIT, ROLLBACK).
func (rc *readConn) exec(ctx context.Context, query string) error {
	st, err := rc.stmt(ctx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}

// reset closes the connection, after it failed: the next View opens
// another.
func (rc *readConn) reset() {
	for _, st := range rc.stmts {
		st.Close()
	}
	rc.conn.Close()
	rc.conn, rc.stmts, rc.order = nil, nil, nil
}

// closeReaders closes the read connections (all of them given back).
func (db *DB) closeReaders() error {
	if db.readers == nil {
		return nil
	}
	var firstErr error
	for range cap(db.readers) {
		rc := <-db.readers
		if rc.conn == nil {
			continue
		}
		for _, st := range rc.stmts {
			st.Close()
		}
		if err := rc.conn.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// View runs fn in a read-only transaction on a snapshot of the database.
// fn may run again when SQLite reports the database busy, so it must not
// have effects beyond its own variables.
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	rc, err := db.takeReader(ctx)
	if err != nil {
		return err
	}
	defer db.putReader(rc)
	return db.retry(ctx, func() error {
		if err := db.openReader(ctx, rc); err != nil {
			return err
		}
		if err := rc.exec(ctx, "BEGIN"); err != nil {
			rc.reset()
			return fmt.Errorf("begin read transaction: %w", err)
		}
		// Whatever becomes of fn — an error, a panic, a failed COMMIT —
		// the transaction ends before the connection goes back.
		ended := false
		defer func() {
			if !ended && rc.exec(context.Background(), "ROLLBACK") != nil {
				rc.reset()
			}
		}()
		if err := fn(&reader{q: &querier{rc: rc}}); err != nil {
			return err
		}
		if err := rc.exec(ctx, "COMMIT"); err != nil {
			return fmt.Errorf("end read transaction: %w", err)
		}
		ended = true
		return nil
	})
}
