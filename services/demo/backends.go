package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tributary-gw/tributary/graph/registry"
)

// Backends is the six demo services, and a stand-in for every other service
// the schema declares, running together, each at its own base URL. Create it
// with Start (real listeners) or StartWith (any way of serving an
// http.Handler, e.g. httptest in package demotest). Close stops them all.
type Backends struct {
	ds         *Dataset
	servers    map[Service]*Server
	publishers map[Service]*publisher
	standIns   []Service
	urls       map[Service]string
	stops      []func(context.Context) error

	closeOnce sync.Once
	closeErr  error
}

// MountFunc serves h (the handler of service svc) and returns its base URL
// (no trailing slash) and a function that stops serving it, gracefully within
// ctx. StartWith calls it for every service at once.
type MountFunc func(svc Service, h http.Handler) (baseURL string, stop func(ctx context.Context) error, err error)

// StartWith creates a Server for each of AllServices over ds, and a stand-in
// (package standin) for each other service the registry declares, and
// mounts each with mount, all at once (mount must allow concurrent
// calls). Every one publishes its contract at ContractPath. If a mount
// fails, the ones mounted are stopped.
func StartWith(ds *Dataset, mount MountFunc) (*Backends, error) {
	b := &Backends{
		ds:         ds,
		servers:    make(map[Service]*Server, 6),
		publishers: make(map[Service]*publisher, 6),
		urls:       make(map[Service]string, 6),
	}
	fail := func(err error) (*Backends, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return nil, errors.Join(err, b.Close(ctx))
	}
	declared := Declared()
	for _, svc := range declared {
		var h http.Handler
		if slices.Contains(AllServices(), svc) {
			s := NewServer(svc, ds)
			b.servers[svc] = s
			h = s
		} else {
			si, err := standIn(svc)
			if err != nil {
				return fail(err)
			}
			b.standIns = append(b.standIns, svc)
			h = si
		}
		b.publishers[svc] = newPublisher(svc, h)
	}
	// Mount concurrently: a test environment starts every service, and
	// one mount need not wait for another. Each goroutine writes its slot.
	type mounted struct {
		url  string
		stop func(context.Context) error
		err  error
	}
	out := make([]mounted, len(declared))
	var wg sync.WaitGroup
	for i, svc := range declared {
		wg.Go(func() {
			u, stop, err := mount(svc, b.publishers[svc])
			if err != nil {
				err = fmt.Errorf("demo: start %s: %w", svc, err)
			}
			out[i] = mounted{u, stop, err}
		})
	}
	wg.Wait()
	var errs []error
	for i, svc := range declared {
		if out[i].err != nil {
			errs = append(errs, out[i].err)
			continue
		}
		b.urls[svc] = out[i].url
		b.stops = append(b.stops, out[i].stop)
	}
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}
	return b, nil
}

// Declared returns AllServices followed by the other services the schema
// declares (the registry), in declaration order: what StartWith serves.
func Declared() []Service {
	out := AllServices()
	for _, name := range registry.Services() {
		if !slices.Contains(out, Service(name)) {
			out = append(out, Service(name))
		}
	}
	return out
}

// StandIns returns the declared services served by a stand-in built from
// their contract, because the demo does not implement them.
func (b *Backends) StandIns() []Service { return slices.Clone(b.standIns) }

// HTTP server timeouts of Start. WriteTimeout is generous because injected
// latency is spent before the answer is written.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// Start runs the services (Declared) on real TCP listeners. addr is host:port: with
// port 0 (e.g. "127.0.0.1:0") each service gets its own free port; with a
// fixed port P the services listen on P, P+1, … in Declared order (the
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
		if basePort, err = strconv.Atoi(portStr); err != nil || basePort < 0 || basePort > 65536-len(Declared()) {
			return nil, fmt.Errorf("demo: address %q: bad port", addr)
		}
	}
	return StartWith(ds, func(svc Service, h http.Handler) (string, func(context.Context) error, error) {
		port := 0
		if basePort != 0 {
			port = basePort + slices.Index(Declared(), svc)
		}
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

// URLs returns the base URLs of all the services (Declared).
func (b *Backends) URLs() map[Service]string {
	m := make(map[Service]string, len(b.urls))
	for k, v := range b.urls {
		m[k] = v
	}
	return m
}

// Server returns the server of a service (nil for an unknown service or a
// stand-in).
func (b *Backends) Server(svc Service) *Server { return b.servers[svc] }

// SetFaults sets the same faults on the six demo services (stand-ins inject none).
func (b *Backends) SetFaults(f Faults) {
	for _, s := range b.servers {
		s.SetFaults(f)
	}
}

// ResetStats resets the counters of the six demo services.
func (b *Backends) ResetStats() {
	for _, s := range b.servers {
		s.ResetStats()
	}
}

// Close stops all the services gracefully within ctx: calls waiting on
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
