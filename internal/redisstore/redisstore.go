// Package redisstore is the state Tributary's replicas share through
// Redis: the entity cache's second level and its invalidation channel, the
// APQ documents, the @fallback last-good values and the rate limits. Every
// use degrades to in-process state when Redis does not answer, with a log
// line and a metric; go-redis reconnects by itself.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures the connection.
type Config struct {
	// URL is redis://[user:password@]host:port/db (or rediss://).
	URL string
	// Prefix starts every key and channel ("tributary:").
	Prefix string
	// Timeout bounds dialing and each command.
	Timeout time.Duration
	// Log receives one line when a use starts failing and one when it
	// recovers; nil means slog.Default.
	Log *slog.Logger
	// OnError is told the use ("entity_cache", "apq", "fallback",
	// "rate_limit", "invalidation") of every failed command (metrics); may
	// be nil.
	OnError func(use string)
}

// Store is a connection to Redis shared by the uses above. It is safe for
// concurrent use.
type Store struct {
	rdb     *redis.Client
	prefix  string
	log     *slog.Logger
	onError func(string)

	mu   sync.Mutex
	down map[string]bool // uses whose last command failed
	// pauseUntil (unix nanoseconds): after a failure, commands fail at once
	// for RetryPause rather than each wait for a dial that will fail.
	pauseUntil atomic.Int64
}

// RetryPause is how long after a failed command the store answers
// "unavailable" without asking Redis.
const RetryPause = time.Second

// errPaused is the answer while the store pauses after a failure.
var errPaused = errors.New("redis: unavailable (pausing after a failure)")

// available reports whether commands may be sent; false while paused.
func (s *Store) available() error {
	if time.Now().UnixNano() < s.pauseUntil.Load() {
		return errPaused
	}
	return nil
}

// New returns a store for cfg. It does not wait for Redis: commands fail
// (and their uses degrade) until it answers.
func New(cfg Config) (*Store, error) {
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if cfg.Timeout > 0 {
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = cfg.Timeout, cfg.Timeout, cfg.Timeout
	}
	// A failed command is not retried, nor a failed dial: the caller has an
	// in-process answer and a deadline.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Store{
		rdb:     redis.NewClient(opt),
		prefix:  cfg.Prefix,
		log:     cfg.Log,
		onError: cfg.OnError,
		down:    map[string]bool{},
	}, nil
}

// Client returns the underlying client (for the rate limiter).
func (s *Store) Client() *redis.Client { return s.rdb }

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// result records the outcome of a command of use: the first failure after
// a success is logged (warn), as is the recovery (info); every failure is
// counted. It returns err.
func (s *Store) result(use string, err error) error {
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	s.mu.Lock()
	was := s.down[use]
	s.down[use] = err != nil
	s.mu.Unlock()
	if err != nil && !errors.Is(err, errPaused) && !errors.Is(err, context.Canceled) {
		s.pauseUntil.Store(time.Now().Add(RetryPause).UnixNano())
	}
	switch {
	case err != nil:
		if s.onError != nil {
			s.onError(use)
		}
		if !was {
			s.log.Warn("redis unavailable: degrading to in-process state", "use", use, "err", err)
		}
	case was:
		s.log.Info("redis available again", "use", use)
	}
	return err
}

// LibraryLog adapts l for go-redis's own logging (redis.SetLogger), at
// debug level: the store already logs when a use fails and recovers, and
// go-redis repeats a line on every failed reconnect.
func LibraryLog(l *slog.Logger) interface {
	Printf(ctx context.Context, format string, v ...any)
} {
	return libraryLog{l}
}

type libraryLog struct{ l *slog.Logger }

func (g libraryLog) Printf(ctx context.Context, format string, v ...any) {
	g.l.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
