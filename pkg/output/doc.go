// Package output is the one exporter of apikeyctl: every command hands its
// API response to Write, which writes it as the -o, --field, --jq and
// --template flags ask, or, by default, as a table or card on a terminal and
// as the API's own JSON on a pipe.
//
// Machine output is a contract. json is the response exactly as the REST
// API encodes it (the api types' MarshalJSON, so role descriptors keep their
// order and limited_by appears only when set), indented by two spaces; yaml
// is the same data in the same key order; jsonl is one compact line per item
// of a list response; --field prints one raw value per line. Fields may be
// added to these, never repurposed.
//
// Terminal renderings (table, wide) use lipgloss through a renderer whose
// colour profile is chosen from iostreams.ColorEnabled, never detected, so
// they are the same in tests as on a terminal. On a pipe they degrade to
// tab-separated rows without colour or truncation.
//
// A command makes one call, with Options filled from its flags (apikeyctl
// registers -o with FlagUsage, --field, --jq and --template):
//
//	resp, err := svc.GetAPIKeys(ctx, req)
//	if err != nil {
//		return err
//	}
//	return output.Write(ios, opts, resp)
//
// ExampleWrite shows it running.
package output
