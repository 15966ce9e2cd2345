package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

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
			// Every key of a failed batch gets its own GraphQL error, all
			// with the one call's error: log the call once.
			if ue.FirstReport() {
				log.LogAttrs(ctx, slog.LevelWarn, "backend call failed",
					slog.String("request_id", upstream.OutgoingFrom(ctx).RequestID),
					slog.String("service", ue.Service),
					slog.String("endpoint", ue.Endpoint),
					slog.String("code", string(ue.Code)),
					slog.Int("status", ue.Status),
					slog.Int("retries", ue.Retries),
					slog.String("error", ue.Error()),
				)
			}
			e := &gqlerror.Error{
				Message:    clientMessage(ue),
				Path:       graphql.GetPath(ctx),
				Extensions: map[string]any{"code": string(ue.Code), "service": ue.Service},
			}
			if ue.Write {
				presentWrite(e, ue)
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
			// written for clients already, but for the transports'
			// decode errors (which quote the whole body and Go type
			// names) and for their length.
			return clientSafe(graphql.DefaultErrorPresenter(ctx, err))
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

// Codes of a write the service refused (see presentWrite).
const (
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeConflict     = "CONFLICT"
	CodeNotFound     = "NOT_FOUND"
)

// presentWrite completes the error of a failed write: a refusal the
// client can act on gets its own code and the service's message (cut as
// every message is: it can quote the client's input), and every write
// error says in extensions.mayHaveBeenApplied whether the write may have
// taken effect (see docs/failures.md).
func presentWrite(e *gqlerror.Error, ue *upstream.Error) {
	code := ""
	switch {
	case upstream.IsNotFound(ue) || ue.Status == http.StatusNotFound:
		code = CodeNotFound
	case ue.Status == http.StatusConflict:
		code = CodeConflict
	case ue.Status == http.StatusBadRequest || ue.Status == http.StatusUnprocessableEntity:
		code = CodeBadUserInput
	}
	if code != "" {
		e.Extensions["code"] = code
		msg := ue.Service + " refused the write"
		switch {
		case ue.Err != nil && !upstream.IsNotFound(ue):
			msg = ue.Service + ": " + ue.Err.Error()
		case ue.Err != nil && ue.Err.Error() != upstream.ErrNotFound.Error():
			// A write's 404 carries the service's message.
			msg = ue.Service + ": " + strings.TrimPrefix(ue.Err.Error(), upstream.ErrNotFound.Error()+": ")
		case code == CodeNotFound:
			msg = ue.Service + ": no such item"
		}
		e.Message = truncateMessage(msg, MaxMessageBytes)
	}
	e.Extensions["mayHaveBeenApplied"] = ue.MaybeApplied
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

var _ graphql.ResponseMiddleware = collapseErrors

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

// MaxMessageBytes bounds an error message a client receives: messages can
// quote client input (a field name, a literal), which must not make the
// answer as large as the request.
const MaxMessageBytes = 300

// decodePrefix starts gqlgen's message for a request body that is not a
// GraphQL request; the rest is the JSON error (with Go type names) and the
// entire body.
const decodePrefix = "json request body could not be decoded: "

// clientSafe rewrites e's message for clients: a decode error says what
// is wrong in GraphQL-over-HTTP terms, code BAD_REQUEST; other transport
// errors lose their Go error text; every message is cut to
// MaxMessageBytes.
func clientSafe(e *gqlerror.Error) *gqlerror.Error {
	if e == nil {
		return nil
	}
	switch msg := e.Message; {
	case strings.HasPrefix(msg, decodePrefix):
		cause, _, _ := strings.Cut(strings.TrimPrefix(msg, decodePrefix), " body:")
		e.Message = "the request body is not a GraphQL request: " + decodeReason(cause)
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = "BAD_REQUEST"
	case strings.HasPrefix(msg, "could not read request body:"), strings.HasPrefix(msg, "could not get request body:"),
		strings.HasPrefix(msg, "could not get json request body:"), strings.HasPrefix(msg, "could not get form body:"):
		e.Message = "could not read the request body"
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = "BAD_REQUEST"
	}
	e.Message = truncateMessage(e.Message, MaxMessageBytes)
	return e
}

var unmarshalField = regexp.MustCompile(`^json: cannot unmarshal (\w+) into Go struct field \w+\.(\w+)(?:\.\S*)? of type (.+)$`)

// decodeReason turns a Go JSON error into a sentence free of Go names.
func decodeReason(cause string) string {
	switch {
	case cause == "EOF":
		return "the body is empty"
	case strings.HasPrefix(cause, "json: cannot unmarshal ") && strings.Contains(cause, "into Go value of type"):
		kind, _, _ := strings.Cut(strings.TrimPrefix(cause, "json: cannot unmarshal "), " ")
		return "the body must be a JSON object, got " + jsonKind(kind)
	}
	if m := unmarshalField.FindStringSubmatch(cause); m != nil {
		want := "a string"
		if strings.HasPrefix(m[3], "map[") {
			want = "an object"
		}
		return fmt.Sprintf("%q must be %s, got %s", m[2], want, jsonKind(m[1]))
	}
	return "the body is not valid JSON"
}

// jsonKind names an encoding/json value kind with its article.
func jsonKind(k string) string {
	switch k {
	case "array", "object":
		return "an " + k
	case "number", "string", "bool":
		return "a " + k
	default:
		return k
	}
}

// truncateMessage cuts s to at most n bytes on a rune boundary, with an
// ellipsis.
func truncateMessage(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
