package gateway

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/engine"
)

// Explained is what `tributary -explain` prints and what a request with
// X-Tributary-Plan gets in extensions.tributary.plan: the plan of an
// operation and the cost limit's estimate of it.
type Explained struct {
	engine.Explanation
	Cost CostEstimate `json:"cost"`
}

// CostEstimate is the part of the cost limit's estimate people read next
// to a plan.
type CostEstimate struct {
	Calls      int            `json:"calls"`
	PerService map[string]int `json:"perService"`
	Items      int            `json:"items"`
	Depth      int            `json:"depth"`
}

// explain plans the operation of oc on eng and estimates its cost.
func explain(eng *engine.Engine, oc *graphql.OperationContext, defaultListSize int, fields cost.Fields) Explained {
	c := cost.Estimate(oc.Doc, oc.Operation, oc.Variables, defaultListSize, fields)
	return Explained{
		Explanation: eng.Explain(oc),
		Cost:        CostEstimate{Calls: c.Calls, PerService: c.PerService, Items: c.Items, Depth: c.Depth},
	}
}

// Explain plans query (its operation named operation, or its only one)
// with vars as the gateway serving graph configured by cfg would, without
// running it.
func Explain(cfg *config.Config, graph Graph, query, operation string, vars map[string]any) (Explained, error) {
	es, root := graph.Executable()
	schema := es.Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		return Explained{}, fmt.Errorf("invalid operation: %w", errs)
	}
	op := doc.Operations.ForName(operation)
	if op == nil {
		return Explained{}, fmt.Errorf("no operation %q in the document", operation)
	}
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		return Explained{}, fmt.Errorf("variables: %w", err)
	}
	// Loaders that are never given a request: planning asks nothing of
	// them.
	l := graph.Loaders(LoadersConfig{})
	defer l.Close()
	eng := engine.New(engine.Config{Schema: es, Resolvers: root, Runtime: l, Off: cfg.Engine != "plan"})
	oc := &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: op, OperationName: operation, Variables: coerced}
	return explain(eng, oc, cfg.Limits.DefaultListSize, cost.NewSchemaFields(schema)), nil
}
