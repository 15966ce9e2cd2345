package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/engine"
)

// PlanHeader asks for the operation's plan (what `tributary -explain`
// prints) in the response's extensions.tributary.plan, when the
// configuration allows it (plan_report, on in the development profile, off
// in production):
//
//	X-Tributary-Plan: 1      the plan, with the operation's response
//	X-Tributary-Plan: only   the plan alone: nothing runs ("data": null)
//
// The plan is asked for on the GraphQL endpoint itself, not on a route of
// its own, so it passes exactly what a query passes — the body and token
// limits, authentication and rate limits, trusted documents and APQ,
// parsing, validation, variable coercion and the limits on depth, aliases
// and estimated calls — and it is the plan the engine keeps for that
// operation, not a second planning of it. Apollo Router (its
// Apollo-Expose-Query-Plan header, with dry-run) and Cosmo Router
// (X-WG-Include-Query-Plan, X-WG-Skip-Loader) expose plans the same way.
const PlanHeader = "X-Tributary-Plan"

// PlanOnly is the PlanHeader value that plans without running.
const PlanOnly = "only"

type planMode int

const (
	planNone planMode = iota
	planWithRun
	planOnly
)

type planModeKey struct{}

// CodePlanReportOff answers a request for the plan alone when the
// configuration does not allow plans: running the operation instead would
// do what its client asked not to (a mutation would write).
const CodePlanReportOff = "PLAN_REPORT_OFF"

// withPlanRequest notes in the context whether the client asked for the
// plan, when the configuration allows it; an unknown header value asks
// for nothing.
func withPlanRequest(allow bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := strings.TrimSpace(r.Header.Get(PlanHeader))
			mode := planNone
			if strings.EqualFold(v, PlanOnly) {
				mode = planOnly
			} else if on, _ := strconv.ParseBool(v); on {
				mode = planWithRun
			}
			switch {
			case mode == planOnly && !allow:
				writeRequestError(w, http.StatusForbidden, CodePlanReportOff,
					"this gateway does not report plans (plan_report is off); nothing was run")
				return
			case mode != planNone && allow:
				r = r.WithContext(context.WithValue(r.Context(), planModeKey{}, mode))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// planReport adds the plan to the operations that asked for it, and
// answers those that asked for the plan only without running them. It
// intercepts operations after every other built-in extension, so an
// operation that a limit, the budget or a trusted-documents policy
// refuses is refused before it is planned.
type planReport struct {
	engine          *engine.Engine
	defaultListSize int
	fields          cost.Fields
}

var (
	_ graphql.HandlerExtension     = planReport{}
	_ graphql.OperationInterceptor = planReport{}
)

func (planReport) ExtensionName() string                   { return "PlanReport" }
func (planReport) Validate(graphql.ExecutableSchema) error { return nil }

func (p planReport) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	mode, _ := ctx.Value(planModeKey{}).(planMode)
	if mode == planNone || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return next(ctx)
	}
	x := explain(p.engine, oc, p.defaultListSize, p.fields)
	if mode == planOnly {
		sent := false
		return func(context.Context) *graphql.Response {
			if sent {
				return nil
			}
			sent = true
			resp := &graphql.Response{}
			tributaryExtensions(resp)["plan"] = x
			return resp
		}
	}
	handler := next(ctx)
	added := false
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp != nil && !added { // the first part of a @defer stream
			added = true
			tributaryExtensions(resp)["plan"] = x
		}
		return resp
	}
}
