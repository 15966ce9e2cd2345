package playground

// Exported for playground_test.
var (
	NewHandlerFS = newHandler
	AcceptsGzip  = acceptsGzip
)
