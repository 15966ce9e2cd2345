package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Persisted-document codes.
const (
	CodePersistedNotFound = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedRequired = "PERSISTED_QUERY_REQUIRED"
)

// trustedDocuments serves operations from a manifest of sha256 hash →
// document (the format of GraphQL Codegen's persisted-documents output);
// a request names one with extensions.persistedQuery.sha256Hash. With only
// set, nothing else runs: an arbitrary query is rejected before parsing,
// so before any backend call.
type trustedDocuments struct {
	docs map[string]string
	only bool
}

var (
	_ graphql.HandlerExtension          = trustedDocuments{}
	_ graphql.OperationParameterMutator = trustedDocuments{}
)

// loadManifest reads and checks a manifest: every key must be the sha256
// of its document, so a client can compute the id itself.
func loadManifest(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted manifest: %w", err)
	}
	var docs map[string]string
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("persisted manifest %s: not a JSON object of hash → document: %w", path, err)
	}
	for h, d := range docs {
		if hashOf(d) != h {
			return nil, fmt.Errorf("persisted manifest %s: key %.16s… is not the sha256 of its document", path, h)
		}
	}
	return docs, nil
}

func hashOf(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

func (trustedDocuments) ExtensionName() string                   { return "TrustedDocuments" }
func (trustedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

func (t trustedDocuments) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	hash := persistedHash(p.Extensions)
	switch {
	case p.Query == "" && hash != "":
		if doc, ok := t.docs[hash]; ok {
			p.Query = doc
			return nil
		}
		if t.only {
			return &gqlerror.Error{Message: "unknown persisted operation", Extensions: map[string]any{"code": CodePersistedNotFound}}
		}
	case p.Query != "" && t.only:
		if _, ok := t.docs[hashOf(p.Query)]; !ok {
			return &gqlerror.Error{
				Message:    "only registered operations may run here; send extensions.persistedQuery.sha256Hash of a registered document",
				Extensions: map[string]any{"code": CodePersistedRequired},
			}
		}
	}
	return nil
}

func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}
