package iostreams

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// spinnerFrames are the frames of the progress spinner.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinnerInterval is how often the spinner advances.
const spinnerInterval = 100 * time.Millisecond

// progress is a running spinner: a goroutine redrawing one stderr line.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	frame int
	stop  chan struct{}
	done  chan struct{}
}

// StartProgress shows label with a spinner on stderr, for work that takes
// more than a moment (purge, bulk-update, query --all). It shows nothing
// unless stderr is a terminal, so scripts and pipes never see it, and
// stdout is never touched. Call StopProgress when the work is done, before
// printing the answer:
//
//	ios.StartProgress("Invalidating 120 keys")
//	defer ios.StopProgress()
//	for i, id := range ids {
//		ios.UpdateProgress(fmt.Sprintf("Invalidating keys (%d/%d)", i+1, len(ids)))
//		...
//	}
//	ios.StopProgress()
//	return out.print(f, resp)
//
// Starting while a spinner runs replaces its label.
func (s *IOStreams) StartProgress(label string) {
	if !s.stderrTTY {
		return
	}
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	if s.progress != nil {
		s.progress.setLabel(label)
		return
	}
	p := &progress{w: s.ErrOut, label: label, stop: make(chan struct{}), done: make(chan struct{})}
	s.progress = p
	p.draw()
	go p.run()
}

// UpdateProgress changes the label of the running spinner (for a count
// that advances); it does nothing when no spinner runs.
func (s *IOStreams) UpdateProgress(label string) {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	if s.progress != nil {
		s.progress.setLabel(label)
	}
}

// StopProgress stops the spinner and erases its line; it does nothing when
// no spinner runs, so it is safe to defer and to call again.
func (s *IOStreams) StopProgress() {
	s.progressMu.Lock()
	p := s.progress
	s.progress = nil
	s.progressMu.Unlock()
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	// Carriage return, then erase to the end of the line.
	fmt.Fprint(p.w, "\r\x1b[K")
}

func (p *progress) run() {
	defer close(p.done)
	t := time.NewTicker(spinnerInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.frame = (p.frame + 1) % len(spinnerFrames)
			p.mu.Unlock()
			p.draw()
		}
	}
}

func (p *progress) setLabel(label string) {
	p.mu.Lock()
	p.label = label
	p.mu.Unlock()
	p.draw()
}

// draw rewrites the spinner's line.
func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\x1b[K%s %s", spinnerFrames[p.frame], p.label)
}
