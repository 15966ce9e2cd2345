//go:generate go run github.com/99designs/gqlgen generate

// Command tributary is a GraphQL gateway over six backend REST services.
//
//	tributary [-config file.yaml] [-check-config] [-print-config-reference]
//
// With no backend URLs configured it starts the embedded demo backends.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tributary:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tributary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (environment variables TRIBUTARY_* override it)")
	checkConfig := fs.Bool("check-config", false, "validate the configuration and exit")
	printRef := fs.Bool("print-config-reference", false, "print the configuration reference as Markdown and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *printRef {
		_, err := io.WriteString(stdout, config.Reference())
		return err
	}
	cfg, err := config.Load(*configPath, environ)
	if err != nil {
		return err
	}
	if *checkConfig {
		fmt.Fprintln(stdout, "configuration OK")
		return nil
	}
	log := newLogger(cfg.Log, stderr)

	if cfg.DemoMode() {
		backends, err := demo.Start(demo.DefaultDataset(), "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("start demo backends: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = backends.Close(sctx)
		}()
		backends.SetFaults(demo.Faults{Latency: cfg.Demo.Latency, Jitter: cfg.Demo.Jitter, ErrorRate: cfg.Demo.ErrorRate})
		urls := backends.URLs()
		for _, s := range config.Services {
			sc := cfg.Service(s)
			sc.URL = urls[demo.Service(s)]
			setService(cfg, s, sc)
		}
		log.Info("no backend URLs configured: started the demo backends", "urls", urls)
	}

	gw, err := gateway.New(cfg, gateway.Options{Logger: log})
	if err != nil {
		return err
	}
	defer gw.Close()

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           gw,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Longer than the request deadline so a partial response can still
		// be written after it.
		WriteTimeout:   cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("tributary listening", "addr", ln.Addr().String(), "playground", "http://"+displayAddr(ln.Addr())+"/")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// setService writes the service's configuration back by name.
func setService(cfg *config.Config, name string, sc config.ServiceConfig) {
	switch name {
	case "catalog":
		cfg.Catalog = sc
	case "pricing":
		cfg.Pricing = sc
	case "inventory":
		cfg.Inventory = sc
	case "reviews":
		cfg.Reviews = sc
	case "users":
		cfg.Users = sc
	case "orders":
		cfg.Orders = sc
	}
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") || strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + s[strings.LastIndex(s, ":")+1:]
	}
	return s
}

func newLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	format := c.Format
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
