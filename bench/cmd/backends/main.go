// Command backends runs the six demo backends (services/demo) over the
// default dataset as one separate process, for load tests: catalog on the
// base port, then pricing, inventory, reviews, users and orders on the next
// five (the contract's convention: 9101 … 9106). It blocks until SIGINT or
// SIGTERM. Latency and errors can be changed at run time through each
// service's PUT /_demo/faults.
//
//	backends [-addr 127.0.0.1:9101] [-latency 20ms] [-jitter 0s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backends:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backends", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9101", "host and base port: the six services listen on port … port+5")
	latency := fs.Duration("latency", 0, "latency added to every call")
	jitter := fs.Duration("jitter", 0, "extra random latency, uniform in [0, jitter]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := demo.Start(demo.DefaultDataset(), *addr)
	if err != nil {
		return err
	}
	b.SetFaults(demo.Faults{Latency: *latency, Jitter: *jitter})
	for _, s := range demo.AllServices() {
		fmt.Printf("%s=%s\n", s, b.URL(s))
	}
	fmt.Fprintln(os.Stderr, "backends ready")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return b.Close(sctx)
}
