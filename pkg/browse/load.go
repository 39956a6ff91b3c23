package browse

import (
	"encoding/json"

	tea "charm.land/bubbletea/v2"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// maxWindow is the most keys one query may return (Elasticsearch's
// index.max_result_window).
const maxWindow = 10000

// pageMsg is the answer to a query: a first page (reset) or the next one.
type pageMsg struct {
	gen   int
	reset bool
	// top puts the cursor on the first key (a new order), where a reload
	// keeps it on the same key.
	top  bool
	size int
	// q is the query asked (nil: every key).
	q    *userQuery
	resp *api.QueryAPIKeysResponse
	err  error
}

// queryBody is the request: the keys q matches (every key when q is
// nil), size of them in the chosen order, then in index order (so that
// search_after pages without gaps), after the sort values of the last key
// loaded.
func (m *Model) queryBody(q *userQuery, size int, after []any) ([]byte, error) {
	order := "asc"
	if m.desc {
		order = "desc"
	}
	body := map[string]any{
		"size": size,
		"sort": []any{map[string]any{sortFields[m.sortIdx]: map[string]any{"order": order}}, "_doc"},
	}
	if after != nil {
		body["search_after"] = after
	}
	if q != nil && q.dsl != nil {
		body["query"] = q.dsl
	}
	return json.Marshal(body)
}

// current is the query the list is being loaded with: the one just typed
// until its answer comes, else the active one.
func (m *Model) current() *userQuery {
	if m.pending != nil {
		return m.pending
	}
	return m.active
}

// query asks for size keys of q after the sort values after; reset
// replaces the loaded keys with the answer.
func (m *Model) query(q *userQuery, size int, after []any, reset, top bool) tea.Cmd {
	body, err := m.queryBody(q, size, after)
	gen := m.gen
	ctx, svc := m.ctx, m.opts.Service
	return func() tea.Msg {
		if err != nil {
			return pageMsg{gen: gen, reset: reset, top: top, q: q, err: err}
		}
		resp, err := svc.QueryAPIKeys(ctx, &api.QueryAPIKeysRequest{Body: body})
		return pageMsg{gen: gen, reset: reset, top: top, size: size, q: q, resp: resp, err: err}
	}
}

// reload asks again for the keys loaded so far (at least a page), in the
// current order; an answer to an earlier query is then dropped.
func (m *Model) reload() tea.Cmd {
	m.gen++
	m.loading = true
	return m.query(m.current(), min(max(m.opts.PageSize, len(m.keys)), maxWindow), nil, true, false)
}

// resort starts over in the new order or with a new query, from the
// first page.
func (m *Model) resort() tea.Cmd {
	m.gen++
	m.loading = true
	return m.query(m.current(), m.opts.PageSize, nil, true, true)
}

// maybeNextPage asks for the next page when the cursor is near the end of
// what is loaded and more keys may follow.
func (m *Model) maybeNextPage() tea.Cmd {
	if m.loading || !m.more || len(m.keys) == 0 || m.cursor < len(m.visible)-nearEnd {
		return nil
	}
	m.loading = true
	return m.query(m.active, m.opts.PageSize, m.keys[len(m.keys)-1].Sort, false, false)
}

func (m *Model) gotPage(msg pageMsg) tea.Cmd {
	if msg.gen != m.gen {
		return nil
	}
	m.loading = false
	if msg.q != nil && msg.q == m.pending {
		// The answer to a query typed in the box: it becomes the active
		// one, or the box opens again with it and the error, the list
		// as it was.
		m.pending = nil
		if msg.err != nil {
			if m.screen == screenList || m.screen == screenQuery {
				m.openQuery(msg.q.text, "Query API keys: "+msg.err.Error())
				return nil
			}
			m.setStatus("Query API keys: ", msg.err)
			return nil
		}
		m.active = msg.q
	}
	if msg.err != nil {
		m.setStatus("Query API keys: ", msg.err)
		return nil
	}
	cur, _ := m.selected()
	if msg.top {
		cur, m.offset = api.APIKey{}, 0
	}
	if msg.reset {
		m.keys = msg.resp.APIKeys
		present := map[string]bool{}
		for _, k := range m.keys {
			present[k.ID] = true
		}
		for id := range m.marked {
			if !present[id] {
				delete(m.marked, id)
			}
		}
	} else {
		m.keys = append(m.keys, msg.resp.APIKeys...)
	}
	m.total = max(msg.resp.Total, len(m.keys))
	m.more = len(msg.resp.APIKeys) == msg.size && len(m.keys) < m.total
	m.refilter(cur.ID)
	return m.maybeNextPage()
}
