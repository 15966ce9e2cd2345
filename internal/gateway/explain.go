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
	c := eng.Estimate(oc, defaultListSize, fields)
	return Explained{
		Explanation: eng.Explain(oc),
		Cost:        CostEstimate{Calls: c.Calls, PerService: c.PerService, Items: c.Items, Depth: c.Depth},
	}
}

// Explain plans query (its operation named operation, or its only one)
// with vars as the gateway serving graph configured by cfg would, without
// running it.
func Explain(cfg *config.Config, graph Graph, query, operation string, vars map[string]any) (Explained, error) {
	eng, oc, err := offline(cfg, graph, query, operation, vars)
	if err != nil {
		return Explained{}, err
	}
	return explain(eng, oc, cfg.Limits.DefaultListSize, cost.NewSchemaFields(eng.Schema())), nil
}

// Estimate is the cost the limits of a gateway serving graph configured by
// cfg would estimate for query's operation (named operation, or its only
// one) with vars: read from its plan, or the shape of an operation
// gqlgen's executor runs.
func Estimate(cfg *config.Config, graph Graph, query, operation string, vars map[string]any) (cost.Cost, error) {
	eng, oc, err := offline(cfg, graph, query, operation, vars)
	if err != nil {
		return cost.Cost{}, err
	}
	return eng.Estimate(oc, cfg.Limits.DefaultListSize, cost.NewSchemaFields(eng.Schema())), nil
}

// offline is an engine as cfg configures it over graph, and the operation
// context of query's operation: parsed, validated, its variables coerced.
func offline(cfg *config.Config, graph Graph, query, operation string, vars map[string]any) (*engine.Engine, *graphql.OperationContext, error) {
	es, root := graph.Executable()
	schema := es.Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		return nil, nil, fmt.Errorf("invalid operation: %w", errs)
	}
	op := doc.Operations.ForName(operation)
	if op == nil {
		return nil, nil, fmt.Errorf("no operation %q in the document", operation)
	}
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		return nil, nil, fmt.Errorf("variables: %w", err)
	}
	// Loaders that are never given a request: planning asks nothing of
	// them.
	l := graph.Loaders(LoadersConfig{})
	defer l.Close()
	eng := engine.New(engine.Config{Schema: es, Resolvers: root, Invokers: graph.invokers(root), Runtime: l})
	return eng, &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: op, OperationName: operation, Variables: coerced}, nil
}
