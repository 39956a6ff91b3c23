package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// This file checkpoints the write-ahead log off the writers' path. SQLite
// by default checkpoints in the connection that commits, once the log
// passes 1,000 pages, so the transaction that crosses the line pays for
// copying every page since into the database file: a bulk invalidation of
// 100,000 keys paid a second and a half for it. The write connection runs
// with wal_autocheckpoint(0) instead; each commit nudges the checkpointer,
// which copies what is committed with a PASSIVE checkpoint (never waiting
// for readers or writers) on a connection of its own, at most once per
// checkpointPause. Closing the last connection to the file checkpoints
// the rest, as before.

// checkpointPause is the least time between two checkpoints.
const checkpointPause = time.Second

// checkpointer copies the log into the database file in the background.
type checkpointer struct {
	conn *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// startCheckpointer starts the checkpointer. Its connection opens at the
// first checkpoint: a process that writes nothing never opens it.
func (db *DB) startCheckpointer() error {
	conn, err := sql.Open("sqlite", dsn(db.path, false))
	if err != nil {
		return err
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	conn.SetConnMaxIdleTime(0)
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	db.checkpoints = c
	go c.loop()
	return nil
}

// nudge tells the checkpointer that something was committed.
func (c *checkpointer) nudge() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// A failed checkpoint is tried again at the next commit, and the
		// log is whole in the meantime: nothing is lost by it.
		_, _, _ = c.checkpoint(context.Background())
		pause.Reset(checkpointPause)
		select {
		case <-c.stop:
			return
		case <-pause.C:
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the pages in the log
// and the pages of it now copied into the database file.
func (c *checkpointer) checkpoint(ctx context.Context) (logPages, copied int, err error) {
	var busy int
	err = c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &copied)
	return logPages, copied, err
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}
