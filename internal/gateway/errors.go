package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// CodeInternal is the code of errors whose details are hidden from clients.
const CodeInternal = "INTERNAL_SERVER_ERROR"

// presentError turns resolver errors into client-safe GraphQL errors: a
// backend failure says which service and a stable code, never the URL or
// the backend's body (those go to the log with the request id).
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if ue, ok := upstream.AsError(err); ok {
			log.LogAttrs(ctx, slog.LevelWarn, "backend call failed",
				slog.String("request_id", upstream.OutgoingFrom(ctx).RequestID),
				slog.String("service", ue.Service),
				slog.String("endpoint", ue.Endpoint),
				slog.String("code", string(ue.Code)),
				slog.Int("status", ue.Status),
				slog.Int("retries", ue.Retries),
				slog.String("error", ue.Error()),
			)
			e := &gqlerror.Error{
				Message:    clientMessage(ue),
				Path:       graphql.GetPath(ctx),
				Extensions: map[string]any{"code": string(ue.Code), "service": ue.Service},
			}
			var gerr *gqlerror.Error
			if errors.As(err, &gerr) && gerr.Path != nil {
				e.Path = gerr.Path
			}
			return e
		}
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) {
			// Our own input errors and gqlgen's validation errors are
			// written for clients already.
			return graphql.DefaultErrorPresenter(ctx, err)
		}
		log.LogAttrs(ctx, slog.LevelError, "unexpected resolver error",
			slog.String("request_id", upstream.OutgoingFrom(ctx).RequestID),
			slog.String("error", err.Error()))
		return &gqlerror.Error{
			Message:    "internal error",
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": CodeInternal},
		}
	}
}

func clientMessage(e *upstream.Error) string {
	switch e.Code {
	case upstream.CodeTimeout:
		return e.Service + " did not answer in time"
	case upstream.CodeUnavailable:
		return e.Service + " is unavailable"
	case upstream.CodeCircuitOpen:
		return e.Service + " is failing; calls are paused (circuit open)"
	case upstream.CodeBadResponse:
		return e.Service + " sent a response the gateway could not read"
	case upstream.CodeRejected:
		return e.Service + " rejected the request"
	case upstream.CodeOverloaded:
		return e.Service + " has too many calls in flight"
	case upstream.CodeInvalidInput:
		// The cause names the rule broken, never the id itself (which
		// can be long and is the client's own input anyway).
		return "invalid id: " + strings.TrimPrefix(e.Err.Error(), upstream.ErrInvalidID.Error()+": ")
	default:
		return e.Service + " failed"
	}
}

func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.LogAttrs(ctx, slog.LevelError, "panic in resolver",
			slog.String("request_id", upstream.OutgoingFrom(ctx).RequestID),
			slog.String("panic", fmt.Sprint(p)))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": CodeInternal}}
	}
}

// maxAffectedPaths bounds the paths listed on one collapsed error.
const maxAffectedPaths = 50

// collapseErrors merges errors that differ only in their list indices (one
// failed batch nulls the same field in every item of a list) into one
// error: `path` is the first affected path, extensions.affectedCount says
// how many fields it nulled and extensions.affectedPaths lists them (at
// most 50). A client reading `path` still finds a real null field.
func collapseErrors(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) < 2 {
		return resp
	}
	type group struct{ first *gqlerror.Error }
	groups := map[string]*group{}
	out := resp.Errors[:0:0]
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" || e.Path == nil {
			out = append(out, e)
			continue
		}
		key := code + "\x00" + e.Message + "\x00" + shape(e.Path)
		g, ok := groups[key]
		if !ok {
			groups[key] = &group{first: e}
			out = append(out, e)
			continue
		}
		f := g.first
		if _, ok := f.Extensions["affectedCount"]; !ok {
			f.Extensions["affectedCount"] = 1
			f.Extensions["affectedPaths"] = []ast.Path{f.Path}
		}
		f.Extensions["affectedCount"] = f.Extensions["affectedCount"].(int) + 1
		if ps := f.Extensions["affectedPaths"].([]ast.Path); len(ps) < maxAffectedPaths {
			f.Extensions["affectedPaths"] = append(ps, e.Path)
		}
	}
	resp.Errors = out
	return resp
}

// shape is a path with list indices replaced by "[]".
func shape(p ast.Path) string {
	var b strings.Builder
	for _, el := range p {
		switch el := el.(type) {
		case ast.PathIndex:
			b.WriteString("[]")
		case ast.PathName:
			b.WriteByte('.')
			b.WriteString(string(el))
		}
	}
	return b.String()
}

// writeRequestError answers a request rejected before GraphQL execution, in
// the GraphQL response shape.
func writeRequestError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
