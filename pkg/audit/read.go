package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// This file reads the audit log back: the rotated files, oldest first,
// then the current one, line by line, from a cursor that names a file by
// its first line (which a rename does not change) and a byte offset in
// it. A query stops once it has its page; a rotated file whose events are
// all older than since is not opened; a line that is not a whole JSON
// object (the partial last line of a crash) is skipped.

var _ keyservice.EventReader = (*Logger)(nil)

// maxLine bounds the length of a line the reader takes: a longer one is
// skipped as malformed.
const maxLine = 1 << 20

// openSnapshotAttempts bounds the tries at opening the files of the log
// between two rotations.
const openSnapshotAttempts = 10

// cursor is a position in the log: the offset after a line of the file
// whose first line hashes to file.
type cursor struct {
	File string `json:"f"`
	Off  int64  `json:"o"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.File == "" || c.Off < 0 {
		return cursor{}, api.Errorf(api.Invalid, "invalid [after] value [%s]: pass the [next] of a previous events answer", s)
	}
	return c, nil
}

// openSegment is a file of the log, open for reading.
type openSegment struct {
	segment
	f     *os.File
	id    string    // the hash of its first line; "" while it has none
	start time.Time // the time of its first event
}

// line is the part of a line that the filters look at.
type line struct {
	Timestamp string   `json:"@timestamp"`
	Type      string   `json:"event.type"`
	Action    string   `json:"event.action"`
	User      string   `json:"user.name"`
	APIKeyID  string   `json:"apikey.id"`
	APIKeyIDs []string `json:"apikey.ids"`
}

// matches reports whether l passes every filter of q, its time t.
func matches(q *keyservice.EventQuery, l *line, t time.Time) bool {
	switch {
	case !q.Since.IsZero() && t.Before(q.Since),
		!q.Until.IsZero() && t.After(q.Until),
		q.User != "" && l.User != q.User,
		q.Outcome != "" && api.EventOutcome(l.Action) != q.Outcome,
		q.APIKeyID != "" && l.APIKeyID != q.APIKeyID && !slices.Contains(l.APIKeyIDs, q.APIKeyID),
		len(q.Actions) > 0 && !slices.Contains(q.Actions, l.Action) && !slices.Contains(q.Actions, l.Type):
		return false
	}
	return true
}

// ReadEvents answers q from the log's files: at most q.Size events, oldest
// first, from q.After. When none match and q.Wait is set, it waits up to
// q.Wait for a write (this process's, or for the Logger of OpenLazy, any
// change of the files) and reads again.
func (l *Logger) ReadEvents(ctx context.Context, q keyservice.EventQuery) (*api.EventsResponse, error) {
	if l.path == "" {
		return nil, api.Errorf(api.NotFound, "this audit log is not a file: it cannot be read back")
	}
	var timeout <-chan time.Time
	var watch <-chan fsnotify.Event
	if q.Wait > 0 {
		t := time.NewTimer(q.Wait)
		defer t.Stop()
		timeout = t.C
		if l.watch {
			if w, err := fsnotify.NewWatcher(); err == nil {
				defer w.Close()
				if w.Add(filepath.Dir(l.path)) == nil {
					watch = w.Events
				}
			}
		}
	}
	for {
		changed := l.changes()
		resp, err := l.read(&q)
		if err != nil || resp.Count > 0 || q.Wait <= 0 {
			return resp, err
		}
		if resp.Next != "" {
			q.After = resp.Next
		}
		for waiting := true; waiting; {
			select {
			case <-changed:
				waiting = false
			case ev := <-watch:
				waiting = !l.isLogFile(ev.Name)
			case <-timeout:
				return resp, nil
			case <-l.ended:
				return resp, nil
			case <-ctx.Done():
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					// The request's own deadline ends the wait as
					// the wait's end would.
					return resp, nil
				}
				return nil, ctx.Err()
			}
		}
	}
}

// EndWaits ends the waits of ReadEvents, now and from now on: each
// answers what it has (the daemon is stopping, and its long polls must
// not hold it up).
func (l *Logger) EndWaits() {
	l.endWaitsOnce.Do(func() { close(l.ended) })
}

// isLogFile reports whether name is one of the log's files.
func (l *Logger) isLogFile(name string) bool {
	_, stem, ext := nameParts(l.path)
	base := filepath.Base(name)
	return strings.HasPrefix(base, stem) && strings.HasSuffix(base, ext)
}

// changes is the channel the next write closes.
func (l *Logger) changes() <-chan struct{} {
	l.changedMu.Lock()
	defer l.changedMu.Unlock()
	return l.changed
}

// notify wakes the readers waiting for a write.
func (l *Logger) notify() {
	l.changedMu.Lock()
	defer l.changedMu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
}

// read is one pass of ReadEvents.
func (l *Logger) read(q *keyservice.EventQuery) (*api.EventsResponse, error) {
	var from cursor
	if q.After != "" {
		var err error
		if from, err = decodeCursor(q.After); err != nil {
			return nil, err
		}
	}
	segs, err := openSegments(l.path)
	if err != nil {
		return nil, api.Errorf(api.Internal, "read the audit log: %v", err)
	}
	defer func() {
		for _, s := range segs {
			s.f.Close()
		}
	}()
	size := q.Size
	if size <= 0 {
		size = api.DefaultEventsSize
	}
	resp := &api.EventsResponse{Events: []json.RawMessage{}, Next: q.After}
	// Start in the cursor's file; when it is gone (removed by the
	// retention, which removes the oldest first), at the oldest file left.
	first, off := 0, int64(0)
	if from.File != "" {
		for i, s := range segs {
			if s.id == from.File {
				first, off = i, from.Off
			}
		}
	}
	needles := filterNeedles(q)
	for i := first; i < len(segs); i++ {
		s := segs[i]
		if i > first {
			off = 0
		}
		if s.id == "" {
			continue
		}
		if !q.Since.IsZero() && !s.rotated.IsZero() && s.rotated.Before(q.Since) {
			continue
		}
		if !q.Until.IsZero() && s.start.After(q.Until) {
			break
		}
		last := i == len(segs)-1
		end, full, err := scan(s.f, off, last, func(raw []byte) bool {
			if !mayMatch(raw, needles) {
				return false
			}
			var ln line
			if json.Unmarshal(raw, &ln) != nil {
				return false
			}
			t, err := time.Parse(time.RFC3339Nano, ln.Timestamp)
			if err != nil || !matches(q, &ln, t) {
				return false
			}
			resp.Events = append(resp.Events, json.RawMessage(bytes.Clone(raw)))
			return len(resp.Events) == size
		})
		if err != nil {
			return nil, api.Errorf(api.Internal, "read the audit log %s: %v", s.path, err)
		}
		resp.Next = cursor{File: s.id, Off: end}.encode()
		if full {
			break
		}
	}
	resp.Count = len(resp.Events)
	return resp, nil
}

// filterNeedles are, for each filter on a value (user, key, actions),
// the JSON strings of which a matching line holds at least one: the
// writer encodes values as encoding/json does, so a line without any of
// them cannot match, and is passed over without being decoded.
func filterNeedles(q *keyservice.EventQuery) [][][]byte {
	quoted := func(values ...string) [][]byte {
		out := make([][]byte, len(values))
		for i, v := range values {
			out[i], _ = json.Marshal(v)
		}
		return out
	}
	var needles [][][]byte
	if q.User != "" {
		needles = append(needles, quoted(q.User))
	}
	if q.APIKeyID != "" {
		needles = append(needles, quoted(q.APIKeyID))
	}
	if len(q.Actions) > 0 {
		needles = append(needles, quoted(q.Actions...))
	}
	return needles
}

// mayMatch reports whether raw holds one of the strings of each filter.
func mayMatch(raw []byte, needles [][][]byte) bool {
	for _, alts := range needles {
		if !slices.ContainsFunc(alts, func(n []byte) bool { return bytes.Contains(raw, n) }) {
			return false
		}
	}
	return true
}

// scan reads the whole lines of f from off, giving each, without its
// newline, to take until take returns true (full). It returns the offset
// after the last line read. A trailing line without its newline is left
// unread in the last file (its writer may not be done) and skipped in
// the others; a line longer than maxLine is skipped.
func scan(f *os.File, off int64, last bool, take func([]byte) bool) (end int64, full bool, err error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, off, 1<<62), 64<<10)
	end = off
	start := off // of the line being read
	var long []byte
	for {
		chunk, err := r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if len(long) <= maxLine {
				long = append(long, chunk...)
			}
			end += int64(len(chunk))
			continue
		case errors.Is(err, io.EOF):
			if end+int64(len(chunk)) > start && last {
				// Not a whole line yet: read again from its start.
				return start, false, nil
			}
			return end + int64(len(chunk)), false, nil
		case err != nil:
			return start, false, err
		}
		end += int64(len(chunk))
		start = end
		ln := chunk[:len(chunk)-1]
		if long != nil {
			ln = append(long, ln...)
			long = nil
		}
		if len(ln) > maxLine || len(ln) == 0 {
			continue
		}
		if take(ln) {
			return end, true, nil
		}
	}
}

// openSegments opens the files of the log for reading. A rotation that
// renames the current file while they are being opened would make it
// open the new current file and miss the renamed one: it lists the files
// again afterwards and starts over when they changed.
func openSegments(path string) ([]*openSegment, error) {
	for range openSnapshotAttempts {
		segs, err := segments(path)
		if err != nil {
			return nil, err
		}
		open := make([]*openSegment, 0, len(segs))
		closeAll := func() {
			for _, s := range open {
				s.f.Close()
			}
		}
		for _, s := range segs {
			f, err := os.Open(s.path)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed by the retention meanwhile
			}
			if err != nil {
				closeAll()
				return nil, err
			}
			o := &openSegment{segment: s, f: f}
			o.id, o.start = identify(f)
			open = append(open, o)
		}
		again, err := segments(path)
		if err != nil {
			closeAll()
			return nil, err
		}
		if stable(open, again, path) {
			return open, nil
		}
		closeAll()
	}
	return nil, fmt.Errorf("the audit log %s is rotating faster than it can be read", path)
}

// stable reports whether the files open are still the log's files: none
// was added by a rotation, and the current one is still the one open.
func stable(open []*openSegment, now []segment, path string) bool {
	i := 0
	for _, s := range now {
		if s.rotated.IsZero() {
			continue
		}
		for i < len(open) && open[i].path != s.path {
			i++
		}
		if i == len(open) {
			return false
		}
	}
	if len(open) == 0 || open[len(open)-1].path != path {
		return true
	}
	a, err := open[len(open)-1].f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// identify returns the hash of f's first line, which names the file in a
// cursor, and the time of its first event; "" when f has no whole line.
func identify(f *os.File) (string, time.Time) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, 1<<62), 4096)
	first, err := r.ReadSlice('\n')
	if err != nil {
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", time.Time{}
		}
		// A first line longer than the buffer: its start names it.
	}
	h := fnv.New64a()
	h.Write(first)
	return fmt.Sprintf("%016x", h.Sum64()), lineTime(first)
}

// lineTime is the @timestamp of the first line of b (zero when it has
// none).
func lineTime(b []byte) time.Time {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	var ln line
	if json.Unmarshal(b, &ln) != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, ln.Timestamp)
	return t
}

// firstEventTime is the time of the first event of the file at path.
func firstEventTime(path string) time.Time {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	_, t := identify(f)
	return t
}
