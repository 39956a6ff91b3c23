package output

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// explainCard shows an explanation: a title naming the key (or the
// credential, when no key is shown), one line a check — ✓ passed, ✗
// failed, – not checked — then the verdict and the answer a request with
// the credential would get. On a pipe it is one tab-separated row a
// check (name, status, message), then the verdict and the answer.
func (t *Terminal) explainCard(r api.ExplainResponse) error {
	answer := explainAnswerText(r.Answer)
	if !t.TTY {
		var b strings.Builder
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", clean(c.Name), c.Status, clean(c.Message))
		}
		fmt.Fprintf(&b, "verdict\t%s\t%s\n", acceptedWord(r.Accepted), clean(r.Verdict))
		fmt.Fprintf(&b, "answer\t%d\t%s\n", r.Answer.Status, clean(answer))
		_, err := io.WriteString(t.Out, b.String())
		return err
	}
	var b strings.Builder
	title := "API key credential"
	if r.ID != "" {
		title = "API key " + clean(r.ID)
		if r.Name != "" {
			title += " (" + clean(r.Name) + ")"
		}
	}
	b.WriteString(t.Styles.Bold.Render(title) + "\n")
	width := 0
	for _, c := range r.Checks {
		width = max(width, lipgloss.Width(c.Name))
	}
	for _, c := range r.Checks {
		mark, style := "✓", t.Styles.Success
		switch c.Status {
		case api.ExplainFail:
			mark, style = "✗", t.Styles.Error
		case api.ExplainNotChecked:
			mark, style = "–", t.Styles.Muted
		}
		name := c.Name + strings.Repeat(" ", width-lipgloss.Width(c.Name)+columnGap)
		b.WriteString(trimLines("  " + style.Render(mark) + " " + t.Styles.Muted.Render(name) + clean(c.Message)))
		b.WriteByte('\n')
	}
	verdict := t.Styles.Error
	if r.Accepted {
		verdict = t.Styles.Success
	}
	b.WriteString("\n" + verdict.Render(clean(r.Verdict)) + "\n")
	b.WriteString(t.Styles.Muted.Render("Elasticsearch answers ") + clean(answer) + "\n")
	_, err := io.WriteString(t.Out, b.String())
	return err
}

func acceptedWord(accepted bool) string {
	if accepted {
		return "accepted"
	}
	return "refused"
}

// explainAnswerText says an answer in one line: its status, and for an
// error its type, reason and detail.
func explainAnswerText(a api.ExplainAnswer) string {
	if a.Type == "" {
		return strconv.Itoa(a.Status) + " OK"
	}
	s := fmt.Sprintf("%d %s: %s", a.Status, a.Type, a.Reason)
	if a.AdditionalUnsuccessfulCredentials != "" {
		s += " (" + a.AdditionalUnsuccessfulCredentials + ")"
	}
	return s
}
