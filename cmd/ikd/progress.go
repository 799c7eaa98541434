package main

import (
	"fmt"
	"io"
	"strings"
)

// progress is a one-line progress display on stderr for long work (batch
// issuance, large status lists). It draws only when stderr is a terminal
// (env.stderrTTY); otherwise every method is a no-op, so scripts and pipes
// see nothing. Each redraw starts with a carriage return and pads over the
// previous line; done ends the line with a newline.
//
// With a known total it draws "LABEL [#####.....]  50% 3/6" (byte totals
// in MiB); with total 0 it draws "LABEL N". The zero progress draws nothing.
type progress struct {
	w     io.Writer // nil: not a terminal, draw nothing
	label string
	bytes bool  // count bytes (shown in MiB) rather than items
	total int64 // 0: unknown
	n     int64
	every int64 // redraw when n has grown by this much since the last draw
	drawn int64 // n at the last draw
	width int   // length of the last line drawn, to pad over it
	ended bool
}

// progressBarWidth is the number of cells of the bar.
const progressBarWidth = 20

// newProgress starts a progress display of total items (0: unknown),
// redrawn every `every` items; it draws nothing unless stderr is a
// terminal.
func newProgress(e *env, label string, total, every int64) *progress {
	p := &progress{label: label, total: total, every: max(every, 1)}
	if e.stderrTTY {
		p.w = e.stderr
	}
	return p
}

// newByteProgress is newProgress counting bytes, redrawn every 1/100 of
// the total (at least every 64 KiB).
func newByteProgress(e *env, label string, total int64) *progress {
	p := newProgress(e, label, total, max(total/100, 64<<10))
	p.bytes = true
	return p
}

// add records k more items done and redraws when due.
func (p *progress) add(k int64) {
	p.n += k
	if p.w != nil && p.n-p.drawn >= p.every {
		p.draw()
	}
}

// done draws the final state and ends the line; later calls do nothing.
func (p *progress) done() {
	if p.w == nil || p.ended {
		return
	}
	p.ended = true
	p.draw()
	fmt.Fprint(p.w, "\n")
}

func (p *progress) draw() {
	p.drawn = p.n
	var line string
	if p.total > 0 {
		frac := min(float64(p.n)/float64(p.total), 1)
		cells := int(frac * progressBarWidth)
		bar := strings.Repeat("#", cells) + strings.Repeat(".", progressBarWidth-cells)
		count := fmt.Sprintf("%d/%d", p.n, p.total)
		if p.bytes {
			count = fmt.Sprintf("%.1f/%.1f MiB", float64(p.n)/(1<<20), float64(p.total)/(1<<20))
		}
		line = fmt.Sprintf("%s [%s] %3d%% %s", p.label, bar, int(frac*100), count)
	} else {
		line = fmt.Sprintf("%s %d", p.label, p.n)
	}
	pad := ""
	if len(line) < p.width {
		pad = strings.Repeat(" ", p.width-len(line))
	}
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
}

// progressWriter counts the bytes written through it on a progress.
type progressWriter struct {
	w io.Writer
	p *progress
}

func (pw progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.p.add(int64(n))
	return n, err
}
