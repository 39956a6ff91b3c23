package audit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// This file is the rotation of the audit log and its retention. The log
// is rotated by the writer, under its lock and between two writes of
// whole lines, when the next write would take it past Rotation.MaxSize or
// when its first event is Rotation.MaxAge old: audit.json is renamed
// audit-<time>.json (the time of the rotation, UTC, to the millisecond:
// audit-20261206T101500.123Z.json) and a new audit.json is started. The
// rotated files of a log sort by name in the order they were written,
// and every event in one is older than the time in its name.

// Rotation says when the audit log is rotated and which rotated files are
// kept. The zero value never rotates.
type Rotation struct {
	// MaxSize rotates the log before a write would make it larger than
	// this many bytes (0: no bound).
	MaxSize int64
	// MaxAge rotates the log once its first event is this old, and
	// deletes a rotated file once its newest event is (0: no bound).
	MaxAge time.Duration
	// MaxFiles is the number of rotated files kept, the oldest deleted
	// first (0: no bound).
	MaxFiles int
}

// rotatedLayout is the time in the name of a rotated file: sortable as
// text, and free of characters a file name cannot hold.
const rotatedLayout = "20060102T150405.000Z"

// segment is one file of a log: a rotated one, or the current one (whose
// rotated time is zero).
type segment struct {
	path    string
	rotated time.Time
}

// nameParts splits the log's path into the directory and the two halves
// of the name around which a rotated file puts its time: audit and .json.
func nameParts(path string) (dir, stem, ext string) {
	dir, base := filepath.Split(path)
	ext = filepath.Ext(base)
	return dir, strings.TrimSuffix(base, ext), ext
}

// rotatedPath is the name of the log at path rotated at t.
func rotatedPath(path string, t time.Time) string {
	dir, stem, ext := nameParts(path)
	return filepath.Join(dir, stem+"-"+t.UTC().Format(rotatedLayout)+ext)
}

// segments lists the files of the log at path, oldest first: the rotated
// ones, then the current one when it exists.
func segments(path string) ([]segment, error) {
	dir, stem, ext := nameParts(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []segment
	current := false
	for _, e := range entries {
		name := e.Name()
		if name == stem+ext {
			current = true
			continue
		}
		ts, ok := strings.CutPrefix(name, stem+"-")
		if !ok {
			continue
		}
		ts, ok = strings.CutSuffix(ts, ext)
		if !ok {
			continue
		}
		t, err := time.Parse(rotatedLayout, ts)
		if err != nil {
			continue
		}
		segs = append(segs, segment{path: filepath.Join(dir, name), rotated: t})
	}
	slices.SortFunc(segs, func(a, b segment) int { return a.rotated.Compare(b.rotated) })
	if current {
		segs = append(segs, segment{path: path})
	}
	return segs, nil
}

// writeRotating writes lines, whole lines at a time, rotating the file
// before a write that would take it past MaxSize (a line longer than
// MaxSize alone fills a file) and when its first event is MaxAge old.
// The caller holds fileMu.
func (l *Logger) writeRotating(lines []byte) error {
	r := l.rotation
	for len(lines) > 0 {
		n := len(lines)
		if l.f != nil && (r.MaxSize > 0 || r.MaxAge > 0) {
			var size int64
			if fi, err := l.f.Stat(); err == nil {
				size = fi.Size()
			}
			if size > 0 && l.first.IsZero() {
				l.first = firstEventTime(l.path)
			}
			bySize := r.MaxSize > 0 && size+int64(n) > r.MaxSize
			byAge := r.MaxAge > 0 && !l.first.IsZero() && time.Since(l.first) >= r.MaxAge
			if size > 0 && (bySize || byAge) && l.rotateLocked() {
				size = 0
			}
			if r.MaxSize > 0 {
				n = fitLines(lines, r.MaxSize-size)
			}
		}
		if _, err := l.w.Write(lines[:n]); err != nil {
			return err
		}
		if l.first.IsZero() && r.MaxAge > 0 {
			l.first = lineTime(lines)
		}
		lines = lines[n:]
	}
	return nil
}

// fitLines is the length of the longest run of whole lines at the start
// of lines that fits in room bytes, and at least the first line.
func fitLines(lines []byte, room int64) int {
	n := 0
	for n < len(lines) {
		i := bytes.IndexByte(lines[n:], '\n')
		if i < 0 {
			return len(lines)
		}
		if n > 0 && int64(n+i+1) > room {
			break
		}
		n += i + 1
	}
	return n
}

// rotateLocked renames the current file to its rotated name and opens a
// new one, then applies the retention; it reports whether it rotated. The
// caller holds fileMu. A rename that fails is logged and the log goes on
// in the same file: nothing is lost.
func (l *Logger) rotateLocked() bool {
	now := time.Now()
	to := rotatedPath(l.path, now)
	for {
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		now = now.Add(time.Millisecond)
		to = rotatedPath(l.path, now)
	}
	if err := os.Rename(l.path, to); err != nil {
		l.log.Error("cannot rotate the audit log; writing on in the same file", "err", err)
		return false
	}
	f, err := openFile(l.path)
	if err != nil {
		// The renamed file takes the events until the new one opens.
		l.log.Error("cannot start a new audit log after rotating it; writing on in the rotated file", "err", err)
		return false
	}
	l.f.Close()
	l.f, l.w, l.c = f, f, f
	l.first = time.Time{}
	l.removeExpired(now)
	return true
}

// removeExpired deletes the rotated files beyond Rotation.MaxFiles, the
// oldest first, and those rotated more than Rotation.MaxAge before now.
func (l *Logger) removeExpired(now time.Time) {
	r := l.rotation
	if r.MaxFiles <= 0 && r.MaxAge <= 0 {
		return
	}
	segs, err := segments(l.path)
	if err != nil {
		l.log.Error("cannot list the rotated audit logs", "err", err)
		return
	}
	var rotated []segment
	for _, s := range segs {
		if !s.rotated.IsZero() {
			rotated = append(rotated, s)
		}
	}
	for i, s := range rotated {
		tooMany := r.MaxFiles > 0 && len(rotated)-i > r.MaxFiles
		tooOld := r.MaxAge > 0 && now.Sub(s.rotated) > r.MaxAge
		if !tooMany && !tooOld {
			continue
		}
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.log.Error("cannot remove a rotated audit log", "file", s.path, "err", err)
			continue
		}
		l.log.Info("removed a rotated audit log", "file", s.path)
	}
}

// SetRotation makes the Logger rotate its file as r says, and removes at
// once the rotated files r does not keep. It applies to a Logger that
// Open or OpenLazy made.
func (l *Logger) SetRotation(r Rotation) {
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	l.rotation = r
	if l.path != "" {
		l.removeExpired(time.Now())
	}
}
