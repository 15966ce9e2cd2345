package gateway

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// budget gives each operation its fan-out budget (by operation name, else
// the default) and reports operations that went over it, with the calls
// their plan makes: more than the budget there is the query's shape (an
// N+1 in the plan), within it the run's (split batches, retries).
type budget struct {
	defaultCalls int
	perOperation map[string]int
	enforce      bool
	log          *slog.Logger
	onExceeded   func(operation string)
}

var (
	_ graphql.HandlerExtension     = budget{}
	_ graphql.OperationInterceptor = budget{}
)

func (budget) ExtensionName() string                   { return "FanoutBudget" }
func (budget) Validate(graphql.ExecutableSchema) error { return nil }

func (b budget) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	rec := upstream.RecorderFrom(ctx)
	if rec == nil {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	name := oc.OperationName
	if oc.Operation != nil {
		name = oc.Operation.Name // also when the request did not name it
	}
	limit := b.defaultCalls
	if n, ok := b.perOperation[name]; ok && name != "" {
		limit = n
	}
	rec.SetBudget(limit, b.enforce)
	reported := false
	handler := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if rec.Exceeded() && !reported {
			reported = true
			plannedCalls := -1 // not estimated
			if p := plannedFrom(oc); p != nil {
				plannedCalls = p.Calls
			}
			b.log.LogAttrs(ctx, slog.LevelWarn, "operation exceeded its fan-out budget",
				slog.String("request_id", upstream.OutgoingFrom(ctx).RequestID),
				slog.String("operation", name),
				slog.Int("budget", limit), slog.Int("calls_wanted", rec.Len()), slog.Int("calls_planned", plannedCalls))
			if b.onExceeded != nil {
				b.onExceeded(name)
			}
			if resp != nil {
				ext := map[string]any{"budget": limit, "enforced": b.enforce}
				if plannedCalls >= 0 {
					ext["planned"] = plannedCalls
				}
				tributaryExtensions(resp)["fanoutBudgetExceeded"] = ext
			}
		}
		return resp
	}
}
