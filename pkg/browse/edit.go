package browse

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// edit is the update form of e: the key, the metadata and expiration as
// typed, and the request they make once checked.
type edit struct {
	key      api.APIKey
	metadata textinput.Model
	expires  textinput.Model
	// field is the input being typed in: 0 metadata, 1 expiration.
	field int
	req   *api.UpdateAPIKeyRequest
	// expiresAt is when the new expiration falls, as the form computed
	// it for the confirmation.
	expiresAt time.Time
	err       string
	busy      bool
}

// formWidth is the width of the form's inputs.
func (m *Model) formWidth() int { return max(10, min(56, m.width-22)) }

// openEdit shows the update form for the selected key.
func (m *Model) openEdit() {
	k, ok := m.selected()
	if !ok {
		return
	}
	m.edit = &edit{
		key:      k,
		metadata: newInput(m.term, "Metadata    "),
		expires:  newInput(m.term, "Expiration  "),
	}
	m.edit.metadata.Placeholder = "unchanged"
	m.edit.expires.Placeholder = "unchanged"
	m.edit.metadata.SetWidth(m.formWidth())
	m.edit.expires.SetWidth(m.formWidth())
	m.edit.metadata.Focus()
	m.screen = screenEdit
	m.setStatus("", nil)
}

// focusField puts the cursor in the form's field i.
func (e *edit) focusField(i int) {
	e.field = i
	e.metadata.Blur()
	e.expires.Blur()
	if i == 0 {
		e.metadata.Focus()
	} else {
		e.expires.Focus()
	}
}

// editKey types in the form: tab and the arrows change field, enter
// checks the values and asks for confirmation, esc cancels.
func (m *Model) editKey(msg tea.KeyPressMsg) tea.Cmd {
	e := m.edit
	switch msg.Code {
	case tea.KeyEscape:
		m.edit, m.screen = nil, screenList
		m.setStatus("Nothing was updated.", nil)
		return nil
	case tea.KeyTab, tea.KeyUp, tea.KeyDown:
		e.focusField(1 - e.field)
		return nil
	case tea.KeyEnter:
		req, at, err := e.request(m.opts.Now())
		if err != nil {
			e.err = err.Error()
			return nil
		}
		e.req, e.expiresAt, e.err = req, at, ""
		m.screen = screenEditConfirm
		return nil
	}
	var cmd tea.Cmd
	if e.field == 0 {
		e.metadata, cmd = e.metadata.Update(msg)
	} else {
		e.expires, cmd = e.expires.Update(msg)
	}
	return cmd
}

// request is the update the form's values make, as apikeyctl update
// would send it for --metadata (or --metadata-json, for text starting
// with {) and --expiration; empty fields leave the key's as they are.
func (e *edit) request(now time.Time) (*api.UpdateAPIKeyRequest, time.Time, error) {
	req := &api.UpdateAPIKeyRequest{ID: e.key.ID}
	var at time.Time
	if text := strings.TrimSpace(e.metadata.Value()); text != "" {
		var err error
		if strings.HasPrefix(text, "{") {
			req.Metadata, err = keyflags.Metadata(nil, text)
		} else {
			var pairs []string
			if pairs, err = splitWords(text); err == nil {
				req.Metadata, err = keyflags.Metadata(pairs, "")
			}
		}
		if err != nil {
			return nil, at, err
		}
	}
	if text := strings.TrimSpace(e.expires.Value()); text != "" {
		if err := keyflags.CheckTimeValue("expiration", text); err != nil {
			return nil, at, err
		}
		d, _ := api.ParseTimeValue(text, "expiration")
		at = now.Add(d)
		req.Expiration = &text
	}
	if req.Metadata == nil && req.Expiration == nil {
		return nil, at, errors.New("nothing to update: give metadata, an expiration, or both")
	}
	return req, at, nil
}

// editConfirmKey answers the confirmation: y updates the key, any other
// key goes back to the form.
func (m *Model) editConfirmKey(msg tea.KeyPressMsg) tea.Cmd {
	e := m.edit
	if e.busy {
		return nil
	}
	if msg.String() != "y" && msg.String() != "Y" {
		m.screen = screenEdit
		return nil
	}
	e.busy = true
	ctx, svc, req := m.ctx, m.opts.Service, e.req
	return func() tea.Msg {
		resp, err := svc.UpdateAPIKey(ctx, req)
		return updatedMsg{id: req.ID, resp: resp, err: err}
	}
}

// updatedMsg is the answer to an update.
type updatedMsg struct {
	id   string
	resp *api.UpdateAPIKeyResponse
	err  error
}

// gotUpdate closes the form and reloads the list, or shows the error in
// the form with what was typed.
func (m *Model) gotUpdate(msg updatedMsg) tea.Cmd {
	e := m.edit
	if e == nil || e.key.ID != msg.id {
		return nil
	}
	e.busy = false
	if msg.err != nil {
		e.err = "Update: " + msg.err.Error()
		m.screen = screenEdit
		return nil
	}
	name := output.Clean(e.key.Name)
	m.edit, m.screen = nil, screenList
	if msg.resp.Updated {
		m.setStatus("Updated "+name+".", nil)
	} else {
		m.setStatus("Nothing changed on "+name+": it already was so.", nil)
	}
	return m.reload()
}

// editTitle names the key the form is about.
func (m *Model) editTitle() string {
	st := m.term.Styles
	k := m.edit.key
	return "Update " + st.Bold.Render(output.Clean(k.Name)) + st.Muted.Render(" ("+k.ID+")")
}

// metadataText is metadata as one line of JSON; "{}" for none.
func metadataText(md api.Metadata) string {
	if len(md) == 0 {
		return "{}"
	}
	data, err := json.Marshal(md)
	if err != nil {
		return err.Error()
	}
	return output.Clean(string(data))
}

// expirationText says when a key expires.
func (m *Model) expirationText(ms *int64) string {
	if ms == nil {
		return "never"
	}
	return m.whenText(output.Millis(*ms))
}

func (m *Model) whenText(t time.Time) string {
	return output.RelativeTime(t, m.opts.Now()) + " (" + t.UTC().Format("2006-01-02 15:04 UTC") + ")"
}

// cut shortens s to the form's width.
func (m *Model) cut(s string) string { return ansi.Truncate(s, m.formWidth()+12, "…") }

func (m *Model) editView() string {
	st := m.term.Styles
	e := m.edit
	var b strings.Builder
	b.WriteString(m.editTitle() + "\n\n")
	b.WriteString(inputView(e.metadata) + "\n")
	b.WriteString(m.cut(st.Muted.Render("            now "+metadataText(e.key.Metadata))) + "\n")
	b.WriteString(st.Muted.Render("            key=value pairs (quote spaces), or a JSON object; {} clears") + "\n\n")
	b.WriteString(inputView(e.expires) + "\n")
	b.WriteString(m.cut(st.Muted.Render("            now "+m.expirationText(e.key.Expiration))) + "\n")
	b.WriteString(st.Muted.Render("            from now, as a time value: 30d, 12h") + "\n\n")
	b.WriteString(st.Muted.Render("tab next field · enter review · esc cancel"))
	if e.err != "" {
		b.WriteString("\n" + st.Error.Render(m.wrap(e.err)))
	}
	return m.dialog(b.String())
}

// wrap breaks s into lines that fit the form.
func (m *Model) wrap(s string) string { return ansi.Wrap(s, m.formWidth()+12, " ") }

func (m *Model) editConfirmView() string {
	st := m.term.Styles
	e := m.edit
	var b strings.Builder
	b.WriteString(m.editTitle() + "\n\n")
	if e.req.Metadata != nil {
		b.WriteString(m.cut("metadata    "+metadataText(e.key.Metadata)) + "\n")
		b.WriteString(m.cut("         →  "+st.Bold.Render(metadataText(e.req.Metadata))) + "\n")
	}
	if e.req.Expiration != nil {
		b.WriteString(m.cut("expiration  "+m.expirationText(e.key.Expiration)) + "\n")
		b.WriteString(m.cut("         →  "+st.Bold.Render(m.whenText(e.expiresAt))) + "\n")
	}
	b.WriteString("\n")
	var notes []string
	if e.req.Metadata != nil {
		notes = append(notes, "The metadata is replaced as a whole: keys not given are removed.")
	}
	if e.req.Expiration != nil {
		notes = append(notes, "Changing the expiration needs Elasticsearch 8.13 or later.")
	}
	notes = append(notes, "The key's limited-by snapshot becomes your current permissions.")
	b.WriteString(st.Muted.Render(m.wrap(strings.Join(notes, "\n"))) + "\n\n")
	if e.busy {
		b.WriteString("Updating…")
	} else {
		b.WriteString(st.Warning.Render("Update the key? y/N") + st.Muted.Render("  (n goes back to the form)"))
	}
	return m.dialog(b.String())
}
