package browse

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// fillEdit opens the update form of the selected key and types metadata
// and an expiration.
func (h *harness) fillEdit(metadata, expiration string) {
	h.t.Helper()
	h.keys("e")
	h.send(tea.PasteMsg{Content: metadata})
	h.keys("<tab>")
	h.send(tea.PasteMsg{Content: expiration})
}

func TestUpdateMetadataAndExpiration(t *testing.T) {
	h := start(t, setup{keys: 5, width: 100, height: 30})
	sel, _ := h.m.selected()
	h.fillEdit(`env=staging 'team=search ops'`, "30d")
	h.keys("<enter>")
	plain := h.plain()
	for _, want := range []string{
		`{"team":"search ops","env":"staging"}`,
		"in 30 days (2026-03-31 12:00 UTC)",
		"The metadata is replaced as a whole",
		"Elasticsearch 8.13",
		"Update the key? y/N",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("confirmation without %q:\n%s", want, plain)
		}
	}
	h.keys("n")
	if h.m.screen != screenEdit || len(h.svc.updates) != 0 {
		t.Fatalf("n: screen %v, %d updates; want the form, none", h.m.screen, len(h.svc.updates))
	}
	queries := len(h.svc.queries)
	h.keys("<enter>", "y")
	if len(h.svc.updates) != 1 {
		t.Fatalf("%d updates", len(h.svc.updates))
	}
	u := h.svc.updates[0]
	if u.ID != sel.ID || u.Metadata.Map()["env"] != "staging" || u.Metadata.Map()["team"] != "search ops" || len(u.Metadata) != 2 || u.Expiration == nil || *u.Expiration != "30d" || u.RoleDescriptors != nil {
		t.Errorf("update request %+v", u)
	}
	if h.m.screen != screenList || !strings.Contains(h.plain(), "Updated "+sel.Name+".") {
		t.Errorf("after the update:\n%s", h.plain())
	}
	if len(h.svc.queries) != queries+1 || !strings.Contains(h.plain(), "in 30 days") {
		t.Errorf("the row was not refreshed:\n%s", h.plain())
	}
}

// TestUpdateForm checks what the form takes and refuses, as apikeyctl
// update would.
func TestUpdateForm(t *testing.T) {
	tests := []struct {
		name, metadata, expiration string
		wantErr                    string
		wantMetadata               string // JSON of the metadata sent; "" none
	}{
		{name: "json object", metadata: `{"n":1,"tags":["a"]}`, wantMetadata: `{"n":1,"tags":["a"]}`},
		{name: "clear", metadata: "{}", wantMetadata: `{}`},
		{name: "expiration only", expiration: "12h"},
		{name: "nothing", wantErr: "nothing to update: give metadata, an expiration, or both"},
		{name: "pair without value", metadata: "env", wantErr: `--metadata "env": expected key=value`},
		{name: "bad json", metadata: "{env", wantErr: `--metadata-json must be a JSON object, e.g. '{"team":"search"}'`},
		{name: "no unit", expiration: "30", wantErr: "--expiration: 30 has no unit; use e.g. 30m, 30d"},
		{name: "open quote", metadata: `"env=prod`, wantErr: `a " quote is not closed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, setup{keys: 3, width: 100, height: 30})
			h.fillEdit(tt.metadata, tt.expiration)
			h.keys("<enter>")
			if tt.wantErr != "" {
				if h.m.screen != screenEdit || h.m.edit.err != tt.wantErr || !strings.Contains(h.plain(), tt.wantErr) {
					t.Fatalf("error %q, want %q\n%s", h.m.edit.err, tt.wantErr, h.plain())
				}
				if h.m.edit.metadata.Value() != tt.metadata || h.m.edit.expires.Value() != tt.expiration {
					t.Errorf("the input was lost")
				}
				return
			}
			h.keys("y")
			if len(h.svc.updates) != 1 {
				t.Fatalf("no update: %s", h.plain())
			}
			got := ""
			if md := h.svc.updates[0].Metadata; md != nil {
				got = metadataText(md)
			}
			if tt.wantMetadata != "" && (got == "" || !sameJSON(t, got, tt.wantMetadata)) || tt.wantMetadata == "" && got != "" {
				t.Errorf("metadata sent %s, want %s", got, tt.wantMetadata)
			}
		})
	}
}

// TestFailedUpdateKeepsTheInput checks that an error of the service is
// shown in the form, with what was typed.
func TestFailedUpdateKeepsTheInput(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"forbidden", api.Errorf(api.Forbidden, "action [cluster:admin/xpack/security/api_key/update] is unauthorized for user [bob]")},
		{"not found", api.Errorf(api.NotFound, "no API key owned by requesting user found for ID [k0000000000000000002]")},
		{"expired", api.Errorf(api.Invalid, "cannot update expired API key [k0000000000000000002]")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, setup{keys: 3, width: 100, height: 30})
			h.svc.updateErr = tt.err
			h.fillEdit("env=prod", "7d")
			h.keys("<enter>", "y")
			e := h.m.edit
			if h.m.screen != screenEdit || e == nil || e.metadata.Value() != "env=prod" || e.expires.Value() != "7d" {
				t.Fatalf("after the error: screen %v, form %+v", h.m.screen, e)
			}
			if want := "Update: " + tt.err.Error(); e.err != want || !strings.Contains(strings.Join(strings.Fields(h.plain()), " "), "Update: ") {
				t.Errorf("error %q, want %q\n%s", e.err, want, h.plain())
			}
			h.svc.updateErr = nil
			h.keys("<enter>", "y")
			if h.m.screen != screenList || len(h.svc.updates) != 2 {
				t.Errorf("the retry: screen %v, %d updates", h.m.screen, len(h.svc.updates))
			}
		})
	}
}
