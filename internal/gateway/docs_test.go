package gateway_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// docBlock is a GraphQL operation from the README or docs/, with what the
// text claims of it: an HTML comment right after the block,
//
//	<!-- check: calls=5 codes=FORBIDDEN,NOT_FOUND -->
//
// calls is the number of backend calls it costs (or a range, calls=5-6,
// where the text says it depends on when answers come in); codes are the error codes
// its answer carries (none when absent). Blocks of schema (SDL) are not
// operations and are skipped.
type docBlock struct {
	where           string // file:line
	query           string
	calls, callsMax int // -1: not claimed
	codes           []string
}

var (
	graphqlBlock = regexp.MustCompile("(?s)```graphql\n(.*?)```[ \t]*\n(?:[ \t]*\n)?(<!-- check:([^>]*)-->)?")
	checkCalls   = regexp.MustCompile(`calls=(\d+)(?:-(\d+))?`)
	checkCodes   = regexp.MustCompile(`codes=([A-Z_,]+)`)
)

func docBlocks(t *testing.T) []docBlock {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"../../README.md"}, files...)
	var out []docBlock
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		for _, m := range graphqlBlock.FindAllStringSubmatchIndex(text, -1) {
			q := text[m[2]:m[3]]
			doc, perr := parser.ParseQuery(&ast.Source{Input: q})
			if perr != nil || len(doc.Operations) == 0 {
				continue // SDL, or a fragment of one
			}
			b := docBlock{
				where: strings.TrimPrefix(f, "../../") + ":" + strconv.Itoa(1+strings.Count(text[:m[0]], "\n")),
				query: q, calls: -1,
			}
			if m[6] >= 0 {
				check := text[m[6]:m[7]]
				if c := checkCalls.FindStringSubmatch(check); c != nil {
					b.calls, _ = strconv.Atoi(c[1])
					b.callsMax = b.calls
					if c[2] != "" {
						b.callsMax, _ = strconv.Atoi(c[2])
					}
				}
				if c := checkCodes.FindStringSubmatch(check); c != nil {
					b.codes = strings.Split(c[1], ",")
				}
			}
			out = append(out, b)
		}
	}
	return out
}

// Every GraphQL operation the README and docs/ show runs against the demo
// backends as the text says: without errors (or with the codes it names),
// at the number of backend calls it claims. Staff credentials, so that
// operations behind @auth answer as the docs show them.
func TestDocsQueriesRunAsDocumented(t *testing.T) {
	t.Parallel()
	blocks := docBlocks(t)
	if len(blocks) < 3 {
		t.Fatalf("found %d GraphQL operations in README.md and docs/, want the README's examples at least", len(blocks))
	}
	e := newEnv(t, withJWT)
	staff := token(t, "u1", "support")
	for _, b := range blocks {
		t.Run(b.where, func(t *testing.T) {
			e.Backends.ResetStats()
			r := e.queryAs(staff, b.query, nil)
			var codes []string
			for _, er := range r.Errors {
				c, _ := er.Extensions["code"].(string)
				codes = append(codes, c)
			}
			if strings.Join(codes, ",") != strings.Join(b.codes, ",") {
				t.Errorf("error codes: got %v, the text says %v: %s", codes, b.codes, r.Raw)
			}
			if r.Data == nil {
				t.Errorf("no data: %s", r.Raw)
			}
			if b.calls >= 0 {
				if got := e.TotalCalls(); got < int64(b.calls) || got > int64(b.callsMax) {
					t.Errorf("backend calls: got %d, the text says %d to %d", got, b.calls, b.callsMax)
				}
			}
		})
	}
}
