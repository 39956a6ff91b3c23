// Command gendocs writes the repository's generated documentation:
// completions/ (apikeyctl's bash, zsh, fish and PowerShell scripts) and
// man/ (a page per command of apikeyctl and apikeyd, and apikeyctl's help
// topics), replacing the files there. It stands apart from both programs
// because it links both command trees, which neither program may do.
//
// Run it with 'go generate ./cmd/gendocs'; its test fails when the
// committed files are stale.
package main

//go:generate go run . -dir ../..

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/apikeyctl/apikeyctl/pkg/cli"
	"github.com/apikeyctl/apikeyctl/pkg/daemon"
)

// manDate is the date in the man pages' headers. It is fixed so that the
// generated files change only when the commands do.
var manDate = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// completionFiles are the files of completions/, by shell.
var completionFiles = map[string]string{
	"bash":       "apikeyctl.bash",
	"zsh":        "_apikeyctl",
	"fish":       "apikeyctl.fish",
	"powershell": "apikeyctl.ps1",
}

// generatedDirs are the directories gendocs owns, under the top directory.
var generatedDirs = []string{"completions", "man"}

func main() {
	dir := flag.String("dir", ".", "the repository's top `directory`")
	flag.Parse()
	if err := generate(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// generate writes dir/completions and dir/man, removing the files there
// that are no longer generated.
func generate(dir string) error {
	files, err := render()
	if err != nil {
		return err
	}
	for _, sub := range generatedDirs {
		d := filepath.Join(dir, sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := os.Remove(filepath.Join(d, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// render renders every generated file, by its path under the top
// directory.
func render() (map[string][]byte, error) {
	files := map[string][]byte{}
	root := cli.DocsCommand()
	for shell, name := range completionFiles {
		var buf bytes.Buffer
		if err := cli.WriteCompletion(root, shell, &buf); err != nil {
			return nil, fmt.Errorf("%s completion: %w", shell, err)
		}
		files[filepath.Join("completions", name)] = buf.Bytes()
	}

	date := manDate
	header := func(section string) *doc.GenManHeader {
		return &doc.GenManHeader{Section: section, Date: &date, Source: "apikeyctl", Manual: "apikeyctl manual"}
	}
	if err := manTree(root, header("1"), files); err != nil {
		return nil, err
	}
	for _, c := range root.Commands() {
		if c.IsAdditionalHelpTopicCommand() {
			files[filepath.Join("man", "apikeyctl-"+c.Name()+".7")] = topicManPage(c, date)
		}
	}
	d := daemon.NewCommand(io.Discard, io.Discard)
	d.DisableAutoGenTag = true
	if err := manTree(d, header("8"), files); err != nil {
		return nil, err
	}
	return files, nil
}

// manTree renders the man pages of cmd and its available subcommands.
func manTree(cmd *cobra.Command, h *doc.GenManHeader, files map[string][]byte) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := manTree(c, h, files); err != nil {
			return err
		}
	}
	hdr := *h
	var buf bytes.Buffer
	if err := doc.GenMan(cmd, &hdr, &buf); err != nil {
		return fmt.Errorf("man page of %s: %w", cmd.CommandPath(), err)
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + "." + h.Section
	files[filepath.Join("man", name)] = buf.Bytes()
	return nil
}

// topicManPage renders a help topic as a section 7 page, its text kept as
// written.
func topicManPage(c *cobra.Command, date time.Time) []byte {
	name := "apikeyctl-" + c.Name()
	var md strings.Builder
	fmt.Fprintf(&md, "%% %q \"7\" %q \"apikeyctl\" \"apikeyctl manual\"\n", strings.ToUpper(name), date.Format("Jan 2006"))
	fmt.Fprintf(&md, "# NAME\n%s \\- %s\n\n", name, c.Short)
	fmt.Fprintf(&md, "# DESCRIPTION\n```\n%s```\n\n", c.Long)
	fmt.Fprintf(&md, "# SEE ALSO\n**apikeyctl(1)**\n")
	return md2man.Render([]byte(md.String()))
}
