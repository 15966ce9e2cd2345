// Command floor is the benchmark's floor: a hand-written aggregator, standard
// library only, that answers the three benchmark workloads (bench/workload)
// with the same REST fan-out the gateway does, done optimally — one batched
// call per service per level, the calls of a level in parallel, each call
// started as soon as the ids it needs are known, one tuned shared
// http.Transport. It answers {"data":{…}} shaped like the gateway's:
//
//	GET /listing?category=shoes[&first=20]
//	GET /product?id=p1
//	GET /dashboard?user=u1
//
// Backend URLs come from the gateway's variables (TRIBUTARY_CATALOG_URL, …)
// or the flags. It has no retries, breakers, partial results or GraphQL:
// the least work any gateway can do for the same answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on")
	var be Backends
	for _, s := range []struct {
		name string
		dst  *string
	}{
		{"catalog", &be.Catalog}, {"pricing", &be.Pricing}, {"inventory", &be.Inventory},
		{"reviews", &be.Reviews}, {"users", &be.Users}, {"orders", &be.Orders},
	} {
		env := "TRIBUTARY_" + strings.ToUpper(s.name) + "_URL"
		fs.StringVar(s.dst, s.name, os.Getenv(env), "base URL of the "+s.name+" service (default $"+env+")")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, u := range []string{be.Catalog, be.Pricing, be.Inventory, be.Reviews, be.Users, be.Orders} {
		if u == "" {
			return errors.New("all six backend URLs are required (flags or TRIBUTARY_<SERVICE>_URL)")
		}
	}
	tr := NewTransport()
	defer tr.CloseIdleConnections()
	f := NewFloor(be, &http.Client{Transport: tr})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           f.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintln(os.Stderr, "floor listening on", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
