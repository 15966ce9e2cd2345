package tributarytest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// Redis is a real redis-server on a free loopback port, without
// persistence, stopped when the test ends.
type Redis struct {
	t    testing.TB
	port int
	p    *process
}

// StartRedis starts redis-server for t. Without the binary the test is
// skipped, saying so, except where REDISTEST_REQUIRED or CI is set: there
// it fails (.ci/run installs Debian's redis-server).
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("REDISTEST_REQUIRED") != "" || os.Getenv("CI") != "" {
			t.Fatal("redis-server not found; CI must install it (apt-get install redis-server)")
		}
		t.Skip("redis-server not found: install it (apt-get install redis-server) to run this test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Redis{t: t, port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// URL.
func (s *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr is the server's host:port.
func (s *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *Redis) start() {
	s.t.Helper()
	p, err := startProcess(exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.p = p
	poll.Until(s.t, fmt.Sprintf("redis-server on port %d to answer PING", s.port), func() bool {
		select {
		case <-p.done:
			s.t.Fatalf("redis-server on port %d exited at start: %v", s.port, p.err)
		default:
		}
		return s.pings()
	})
}

func (s *Redis) pings() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.Addr())
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// Stop stops the server (and waits for it); a stopped server stays stopped.
func (s *Redis) Stop() {
	if s.p == nil {
		return
	}
	_ = s.p.stop(os.Kill)
	s.p = nil
}

// Restart starts a stopped server again on the same port, empty.
func (s *Redis) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
