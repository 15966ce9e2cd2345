package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Code classifies a backend failure. The values are public: they appear as
// extensions.code in GraphQL errors and as metric labels.
type Code string

// Failure codes, stable across releases.
const (
	// CodeTimeout: the call did not finish within its timeout or the
	// request's deadline.
	CodeTimeout Code = "SERVICE_TIMEOUT"
	// CodeUnavailable: the service could not be reached or answered 503.
	CodeUnavailable Code = "SERVICE_UNAVAILABLE"
	// CodeServiceError: the service answered with another error status.
	CodeServiceError Code = "SERVICE_ERROR"
	// CodeBadResponse: the service answered 2xx with a body that is not the
	// contract's (not JSON, wrong shape, truncated, over the size cap).
	CodeBadResponse Code = "BAD_BACKEND_RESPONSE"
	// CodeCircuitOpen: the gateway did not call the service because its
	// circuit breaker is open.
	CodeCircuitOpen Code = "CIRCUIT_OPEN"
	// CodeRejected: the service rejected the request as invalid (a 4xx such
	// as an unknown currency); retrying will not help.
	CodeRejected Code = "BAD_REQUEST"
	// CodeBudgetExceeded: the operation already made as many backend calls
	// as its fan-out budget allows (an accidental N+1, usually).
	CodeBudgetExceeded Code = "FANOUT_BUDGET_EXCEEDED"
	// CodeOverloaded: the gateway's own limit of in-flight calls to the
	// service was reached and no slot freed up within the deadline.
	CodeOverloaded Code = "SERVICE_OVERLOADED"
	// CodeInvalidInput: the gateway refused an argument before any call,
	// e.g. an id the batch syntax cannot carry (see CheckID).
	CodeInvalidInput Code = "BAD_USER_INPUT"
)

// Error is a failed backend call. Its Error text is for logs: it can hold the
// URL and the backend's message, which must not reach GraphQL clients; the
// error presenter shows only Service and Code.
type Error struct {
	Service  string
	Endpoint string // stable endpoint name, e.g. "products.byIds"
	Code     Code
	Status   int  // HTTP status, 0 when none was received
	Retries  int  // retries made before giving up
	Temp     bool // whether trying again later may succeed
	Err      error
	// Write: the failed call was a write (Client.Send).
	Write bool
	// MaybeApplied: the write may have taken effect — it was sent and no
	// answer said how it ended (a 5xx, a timeout, a connection lost after
	// sending). False for a write refused before it was sent or answered
	// with a 4xx. Resending it is safe only with the same Idempotency-Key.
	MaybeApplied bool

	retryAfter time.Duration // from a 429's Retry-After
	sent       bool          // a transport error after the request left

	// reported is set once the error has been logged: the keys of one
	// failed batch share their error, and the log says so once.
	reported atomic.Bool
}

// outcomeUnknown reports whether this attempt of a write may have taken
// effect: sent, and answered with nothing that says it did not.
func (e *Error) outcomeUnknown() bool {
	switch {
	case e.Status >= 500:
		return true
	case e.Status != 0:
		return false // a 4xx (or a 2xx we could not read: not a failure of the write)
	case e.Code == CodeTimeout:
		return true
	}
	return e.sent
}

// idempotencyConflict: the service answered that the key is still being
// applied (409) or came with another request (422) — after an earlier
// attempt of the same write, so that attempt's outcome stands unknown.
func (e *Error) idempotencyConflict() bool {
	return e.Status == 409 || e.Status == 422
}

// notSent reports whether a transport error happened before the request
// left: the connection could not be made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// FirstReport reports whether this is the first report of the error (the
// first call returns true, every later one false): log it only then.
func (e *Error) FirstReport() bool { return e.reported.CompareAndSwap(false, true) }

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s: %s", e.Service, e.Endpoint, e.Code)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (status %d)", e.Status)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether the failure may go away on its own (5xx,
// timeouts, connection errors, 429), per the backend contract.
func (e *Error) Transient() bool { return e.Temp }

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrNotFound is returned by single-item look-ups for a 404.
var ErrNotFound = errors.New("not found")

// IsNotFound reports whether err is a single-item look-up's 404.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// classifyTransport maps an error from http.Client.Do (or from reading the
// body) to a code.
func classifyTransport(ctx context.Context, err error) Code {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeUnavailable
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return CodeTimeout
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return CodeUnavailable
	}
	return CodeUnavailable
}

// classifyStatus maps a non-2xx status to a code and whether it is transient.
func classifyStatus(status int) (Code, bool) {
	switch {
	case status == 502 || status == 503:
		// 502: a proxy in front of the service could not reach it.
		return CodeUnavailable, true
	case status == 504:
		return CodeTimeout, true
	case status == 429:
		return CodeUnavailable, true
	case status >= 500:
		return CodeServiceError, true
	case status == 404:
		// Only single-item paths answer 404 (handled by the caller); on a
		// batch path it means a wrong base URL or route.
		return CodeServiceError, false
	case status >= 400:
		return CodeRejected, false
	default: // 1xx/3xx we did not follow: the contract has none
		return CodeBadResponse, false
	}
}
