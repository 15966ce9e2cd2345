package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Backends is the six services running together, each at its own base URL.
// Create it with Start (real listeners) or StartWith (any way of serving an
// http.Handler, e.g. httptest in package demotest). Close stops all six.
type Backends struct {
	ds      *Dataset
	servers map[Service]*Server
	urls    map[Service]string
	stops   []func(context.Context) error

	closeOnce sync.Once
	closeErr  error
}

// MountFunc serves h (the handler of service svc) and returns its base URL
// (no trailing slash) and a function that stops serving it, gracefully within
// ctx.
type MountFunc func(svc Service, h http.Handler) (baseURL string, stop func(ctx context.Context) error, err error)

// StartWith creates a Server for each of AllServices over ds and mounts each
// with mount. If a mount fails, the ones already mounted are stopped.
func StartWith(ds *Dataset, mount MountFunc) (*Backends, error) {
	b := &Backends{
		ds:      ds,
		servers: make(map[Service]*Server, 6),
		urls:    make(map[Service]string, 6),
	}
	for _, svc := range AllServices() {
		s := NewServer(svc, ds)
		u, stop, err := mount(svc, s)
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return nil, errors.Join(fmt.Errorf("demo: start %s: %w", svc, err), b.Close(ctx))
		}
		b.servers[svc] = s
		b.urls[svc] = u
		b.stops = append(b.stops, stop)
	}
	return b, nil
}

// HTTP server timeouts of Start. WriteTimeout is generous because injected
// latency is spent before the answer is written.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// Start runs the six services on real TCP listeners. addr is host:port: with
// port 0 (e.g. "127.0.0.1:0") each service gets its own free port; with a
// fixed port P the services listen on P, P+1, … in AllServices order (the
// contract's convention: catalog 9101 … orders 9106). An unspecified host
// (":0", "0.0.0.0:0") listens on all interfaces and is reported as 127.0.0.1
// in URLs.
func Start(ds *Dataset, addr string) (*Backends, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("demo: address %q: %w", addr, err)
	}
	basePort := 0
	if portStr != "" {
		if basePort, err = strconv.Atoi(portStr); err != nil || basePort < 0 || basePort > 65535-5 {
			return nil, fmt.Errorf("demo: address %q: bad port", addr)
		}
	}
	next := 0
	return StartWith(ds, func(svc Service, h http.Handler) (string, func(context.Context) error, error) {
		port := 0
		if basePort != 0 {
			port = basePort + next
		}
		next++
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		stop := func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			if err != nil {
				err = errors.Join(err, srv.Close())
			}
			if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
				err = errors.Join(err, serveErr)
			}
			return err
		}
		return "http://" + urlHost(ln.Addr()), stop, nil
	})
}

// urlHost is the host:port to put in a URL for a listener address.
func urlHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	return net.JoinHostPort(tcp.IP.String(), strconv.Itoa(tcp.Port))
}

// Dataset returns the data the services answer from.
func (b *Backends) Dataset() *Dataset { return b.ds }

// URL returns the base URL of a service, e.g. "http://127.0.0.1:40123"; "" for
// an unknown service.
func (b *Backends) URL(svc Service) string { return b.urls[svc] }

// URLs returns the base URLs of all six services.
func (b *Backends) URLs() map[Service]string {
	m := make(map[Service]string, len(b.urls))
	for k, v := range b.urls {
		m[k] = v
	}
	return m
}

// Server returns the server of a service (nil for an unknown service).
func (b *Backends) Server(svc Service) *Server { return b.servers[svc] }

// SetFaults sets the same faults on all six services.
func (b *Backends) SetFaults(f Faults) {
	for _, s := range b.servers {
		s.SetFaults(f)
	}
}

// ResetStats resets the counters of all six services.
func (b *Backends) ResetStats() {
	for _, s := range b.servers {
		s.ResetStats()
	}
}

// Close stops all six services gracefully within ctx: calls waiting on
// injected latency are answered 503 at once, the others complete. Calling it
// again returns the first result.
func (b *Backends) Close(ctx context.Context) error {
	b.closeOnce.Do(func() {
		for _, s := range b.servers {
			s.stop()
		}
		errs := make([]error, len(b.stops))
		var wg sync.WaitGroup
		for i, stop := range b.stops {
			wg.Go(func() { errs[i] = stop(ctx) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.closeErr = fmt.Errorf("demo: close: %w", err)
		}
	})
	return b.closeErr
}
