package browse

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/aymanbagabas/go-osc52/v2"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// doneMsg reports a finished side task (a copy, a file written).
type doneMsg struct {
	text string
	err  error
}

// detailMsg is a key fetched again with its limited-by descriptors.
type detailMsg struct {
	id  string
	key *api.APIKey
	err error
	// family is the key's lineage when the target keeps one and the key
	// has relatives; familyErr says why it could not be read.
	family    *api.APIKeyLineage
	familyErr error
}

// openDetail shows the selected key's card and asks for the key with the
// owner's permissions it is limited by.
func (m *Model) openDetail() tea.Cmd {
	k, ok := m.selected()
	if !ok {
		return nil
	}
	m.screen = screenDetail
	m.detailKey = k
	m.detailNote = "Loading the permissions the key is limited by…"
	m.renderDetail()
	m.detail.GotoTop()
	ctx, svc, lastUsed, lineage := m.ctx, m.opts.Service, m.opts.LastUsed, m.opts.Lineage
	return func() tea.Msg {
		resp, err := svc.GetAPIKeys(ctx, &api.GetAPIKeysRequest{ID: k.ID, WithLimitedBy: true, WithLastUsed: lastUsed})
		if err != nil {
			return detailMsg{id: k.ID, err: err}
		}
		if len(resp.APIKeys) != 1 {
			return detailMsg{id: k.ID, err: fmt.Errorf("no API key with id [%s]", k.ID)}
		}
		msg := detailMsg{id: k.ID, key: &resp.APIKeys[0]}
		if lineage != nil {
			msg.family, msg.familyErr = lineage(ctx, k.ID)
			if msg.family != nil && len(msg.family.Ancestors)+len(msg.family.Descendants) == 0 {
				msg.family = nil
			}
		}
		return msg
	}
}

func (m *Model) gotDetail(msg detailMsg) {
	if m.screen != screenDetail || msg.id != m.detailKey.ID {
		return
	}
	m.detailFamily = ""
	switch {
	case msg.err != nil:
		m.detailNote = "Limited by: not available (" + msg.err.Error() + ")"
	case msg.familyErr != nil:
		m.detailKey, m.detailNote = *msg.key, "Family: not available ("+msg.familyErr.Error()+")"
	default:
		m.detailKey, m.detailNote = *msg.key, ""
		if msg.family != nil {
			m.term.Now = m.opts.Now()
			m.detailFamily = "Family\n" + m.term.LineageTree(*msg.family)
		}
	}
	m.renderDetail()
}

func (m *Model) renderDetail() {
	m.term.Now = m.opts.Now()
	card, err := m.term.KeyCard(m.detailKey)
	if err != nil {
		card = err.Error()
	}
	if m.detailFamily != "" {
		card += "\n" + m.detailFamily
	}
	if m.detailNote != "" {
		card += "\n" + m.term.Styles.Muted.Render(m.detailNote)
	}
	m.detail.SetContent(strings.TrimSuffix(card, "\n"))
}

// targets are the keys d acts on: the marked ones, else the selected one.
func (m *Model) targets() []string {
	if len(m.marked) > 0 {
		return m.sortedIDs()
	}
	if k, ok := m.selected(); ok {
		return []string{k.ID}
	}
	return nil
}

func (m *Model) askInvalidate() {
	ids := m.targets()
	if len(ids) == 0 {
		return
	}
	m.confirmIDs = ids
	m.screen = screenConfirm
	m.setStatus("", nil)
}

// confirmView is the dialog of d: the keys, then the question.
func (m *Model) confirmView() string {
	st := m.term.Styles
	names := map[string]string{}
	for _, k := range m.keys {
		names[k.ID] = k.Name
	}
	const shown = 8
	var b strings.Builder
	for i, id := range m.confirmIDs {
		if i == shown {
			fmt.Fprintf(&b, "… and %d more\n", len(m.confirmIDs)-shown)
			break
		}
		b.WriteString(id + "  " + st.Muted.Render(output.Clean(names[id])) + "\n")
	}
	n := len(m.confirmIDs)
	q := fmt.Sprintf("Invalidate %d keys? y/N", n)
	if n == 1 {
		q = "Invalidate 1 key? y/N"
	}
	return m.dialog(b.String() + "\n" + st.Warning.Render(q))
}

// dialog centres a framed text in the body.
func (m *Model) dialog(text string) string {
	box := m.term.Styles.Box.Render(text)
	return lipgloss.PlaceHorizontal(m.width, lipgloss.Center, "\n"+box)
}

// invalidatedMsg is the answer to the invalidation of ids.
type invalidatedMsg struct {
	ids  []string
	resp *api.InvalidateAPIKeysResponse
	err  error
}

func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() != "y" && msg.String() != "Y" {
		m.screen = screenList
		m.confirmIDs = nil
		m.setStatus("Nothing was invalidated.", nil)
		return nil
	}
	ids := m.confirmIDs
	m.screen, m.confirmIDs = screenList, nil
	m.setStatus(fmt.Sprintf("Invalidating %d…", len(ids)), nil)
	ctx, svc := m.ctx, m.opts.Service
	return func() tea.Msg {
		resp, err := svc.InvalidateAPIKeys(ctx, &api.InvalidateAPIKeysRequest{IDs: ids})
		return invalidatedMsg{ids: ids, resp: resp, err: err}
	}
}

func (m *Model) gotInvalidated(msg invalidatedMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("Invalidate: ", msg.err)
		return nil
	}
	r := msg.resp
	text := fmt.Sprintf("Invalidated %d", len(r.InvalidatedAPIKeys))
	if n := len(r.PreviouslyInvalidatedAPIKeys); n > 0 {
		text += fmt.Sprintf(", %d already were", n)
	}
	if n := max(r.ErrorCount, len(r.ErrorDetails)); n > 0 {
		reasons := make([]string, len(r.ErrorDetails))
		for i, e := range r.ErrorDetails {
			reasons[i] = e.Error()
		}
		m.setStatus(text+", ", fmt.Errorf("%d failed: %s", n, strings.Join(reasons, "; ")))
	} else {
		m.setStatus(text+".", nil)
	}
	for _, id := range msg.ids {
		delete(m.marked, id)
	}
	return m.reload()
}

// promptKey edits the clone's name, the source credential or the path the
// secret is written to.
func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.Code {
	case tea.KeyEscape:
		m.input.Blur()
		m.input.SetValue("")
		if m.screen == screenSecretPath {
			m.screen = screenSecret
			return nil
		}
		m.screen = screenList
		m.setStatus("Clone cancelled.", nil)
		return nil
	case tea.KeyEnter:
		return m.submitPrompt()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return cmd
}

// clonedMsg is the answer to a clone.
type clonedMsg struct {
	resp *api.CreateAPIKeyResponse
	err  error
}

func (m *Model) submitPrompt() tea.Cmd {
	value := strings.TrimSpace(m.input.Value())
	switch m.screen {
	case screenCloneName:
		if value == "" {
			return nil
		}
		m.cloneName = value
		m.screen = screenCloneCredential
		m.input.Prompt = "Encoded credential of the source key: "
		m.input.EchoMode = textinput.EchoPassword
		m.input.SetValue("")
		return nil
	case screenCloneCredential:
		src, _ := m.selected()
		if err := credentialOf(value, src.ID); err != nil {
			m.setStatus("", err)
			return nil
		}
		m.input.SetValue("")
		m.input.Blur()
		m.screen = screenList
		m.setStatus("Cloning "+src.ID+"…", nil)
		ctx, svc, name := m.ctx, m.opts.Service, m.cloneName
		return func() tea.Msg {
			resp, err := svc.CloneAPIKey(ctx, &api.CloneAPIKeyRequest{APIKey: value, Name: &name})
			return clonedMsg{resp: resp, err: err}
		}
	case screenSecretPath:
		if value == "" {
			return nil
		}
		m.input.Blur()
		m.input.SetValue("")
		m.screen = screenSecret
		return writeSecret(value, m.secret.Encoded)
	}
	return nil
}

// credentialOf checks that encoded is an encoded credential (base64 of
// id:secret) of the key id, so that the clone is of the key selected.
func credentialOf(encoded, id string) error {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	kid, _, found := strings.Cut(string(raw), ":")
	if err != nil || !found {
		return errors.New("that is not an encoded credential (base64 of id:secret)")
	}
	if kid != id {
		return fmt.Errorf("that credential is of key %s, not of the selected key %s", output.Clean(kid), id)
	}
	return nil
}

func (m *Model) cloneView() string {
	src, _ := m.selected()
	st := m.term.Styles
	text := "Clone " + st.Bold.Render(output.Clean(src.Name)) + st.Muted.Render(" ("+src.ID+")") + "\n\n"
	if m.screen == screenCloneCredential {
		text += "Name of the clone: " + output.Clean(m.cloneName) + "\n"
	}
	text += inputView(m.input) + "\n\n" + st.Muted.Render("enter next · esc cancel")
	if m.status != "" && m.statusErr {
		text += "\n" + st.Error.Render(m.status)
	}
	return m.dialog(text)
}

func (m *Model) gotClone(msg clonedMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("Clone: ", msg.err)
		return nil
	}
	m.secret = msg.resp
	m.screen = screenSecret
	m.setStatus("", nil)
	return m.reload()
}

// secretView shows the clone's secret, once, as apikeyctl create does.
func (m *Model) secretView() string {
	st := m.term.Styles
	r := m.secret
	var b strings.Builder
	b.WriteString(st.Success.Render("✓") + " Cloned API key " + st.Bold.Render(output.Clean(r.Name)) + "\n")
	b.WriteString(st.Muted.Render("ID       ") + r.ID + "\n\n")
	b.WriteString(st.Warning.Render("⚠ Save the secret now: it will not be shown again.") + "\n\n")
	b.WriteString(st.Muted.Render("Encoded  ") + r.Encoded + "\n")
	b.WriteString(st.Muted.Render("API key  ") + r.APIKey + "\n\n")
	if m.screen == screenSecretPath {
		b.WriteString(inputView(m.input) + "\n" + st.Muted.Render("enter write (0600) · esc back"))
	} else {
		b.WriteString(st.Muted.Render("y copy (OSC 52) · w write to a file · esc close"))
	}
	if m.status != "" {
		style := st.Success
		if m.statusErr {
			style = st.Error
		}
		b.WriteString("\n" + style.Render(m.status))
	}
	return m.dialog(b.String())
}

func (m *Model) secretKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "y":
		return copySecret(m.opts.IOStreams.Out, m.opts.Getenv, m.secret.Encoded)
	case "w":
		m.screen = screenSecretPath
		m.input.Prompt = "Write the encoded credential to: "
		m.input.EchoMode = textinput.EchoNormal
		m.input.SetValue("apikey-" + strings.TrimLeft(m.secret.ID, "-") + ".txt")
		m.input.Focus()
		m.setStatus("", nil)
	case "esc", "enter", "q":
		m.forgetSecret()
		m.screen = screenList
		m.setStatus("The secret is no longer shown.", nil)
	}
	return nil
}

// copySecret writes the OSC 52 sequence that puts secret on the terminal's
// clipboard, wrapped for tmux or screen, in one write.
func copySecret(w io.Writer, getenv func(string) string, secret string) tea.Cmd {
	return func() tea.Msg {
		seq := osc52.New(secret)
		switch {
		case getenv("TMUX") != "":
			seq = seq.Tmux()
		case strings.HasPrefix(getenv("TERM"), "screen"):
			seq = seq.Screen()
		}
		if _, err := io.WriteString(w, seq.String()); err != nil {
			return doneMsg{text: "Copy: ", err: err}
		}
		return doneMsg{text: "Copied the encoded credential (OSC 52: the terminal must allow it)."}
	}
}

// writeSecret writes secret and a newline to a new file at path, readable
// by its owner only; an existing file is left alone.
func writeSecret(path, secret string) tea.Cmd {
	return func() tea.Msg {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return doneMsg{text: "Write: ", err: err}
		}
		_, err = io.WriteString(f, secret+"\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(path)
			return doneMsg{text: "Write: ", err: err}
		}
		return doneMsg{text: "Wrote the encoded credential to " + path + " (mode 0600)."}
	}
}
