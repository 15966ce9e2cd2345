package tributarytest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// process is a child process whose end is watched from the start, so a
// test can tell "exited" from "still starting" and stop it once.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait returned
	err  error         // Wait's result, set before done closes

	stopOnce sync.Once
}

// startProcess starts cmd and watches for its end.
func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends sig (once) and waits for the process to end; it returns how
// it ended.
func (p *process) stop(sig os.Signal) error {
	p.stopOnce.Do(func() { _ = p.cmd.Process.Signal(sig) })
	<-p.done
	return p.err
}

// listenTimeout bounds a gateway process's start (a cold binary on a
// loaded 2-core machine).
const listenTimeout = 60 * time.Second

// GatewayProcess is the gateway binary running on a loopback port, with a
// Client for it.
type GatewayProcess struct {
	*Client
	// Started are the log lines the gateway wrote before it listened.
	Started []string
}

// StartProcess runs the gateway binary bin with no TRIBUTARY_* settings
// but a free loopback port, JSON logs and env (TRIBUTARY_* assignments,
// which win), waits until it listens and returns a client for it. When the
// test ends the process is stopped with SIGINT, as a user would, and must
// exit cleanly. Log lines above INFO go to the test's log.
func StartProcess(t testing.TB, bin string, env ...string) *GatewayProcess {
	t.Helper()
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRIBUTARY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_FORMAT=json")
	cmd.Env = append(cmd.Env, env...)
	// An os.Pipe, not StderrPipe: the reader may then run while Wait does.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	p, err := startProcess(cmd)
	pw.Close()
	if err != nil {
		pr.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	g := &GatewayProcess{}
	addrs := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		listening := false
		for sc.Scan() {
			var line struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
				Addr  string `json:"addr"`
			}
			_ = json.Unmarshal(sc.Bytes(), &line)
			if !listening {
				g.Started = append(g.Started, sc.Text())
			}
			if !listening && line.Msg == "tributary listening" {
				listening = true
				addrs <- line.Addr
			}
			if line.Level != "INFO" && line.Level != "DEBUG" {
				t.Logf("gateway: %s", bytes.TrimSpace(sc.Bytes()))
			}
		}
	}()
	t.Cleanup(func() {
		err := p.stop(os.Interrupt)
		<-logged
		if err != nil {
			t.Errorf("gateway %s exited: %v", bin, err)
		}
	})
	select {
	case addr := <-addrs:
		g.Client = newClient(t, "http://"+addr)
		return g
	case <-p.done:
		<-logged
		t.Fatalf("the gateway exited before it listened: %v\n%s", p.err, strings.Join(g.Started, "\n"))
	case <-time.After(listenTimeout):
		t.Fatalf("the gateway did not listen within %s", listenTimeout)
	}
	return nil
}

// BuildGateway builds the gateway in the module at dir with a plain
// `go build` into out, as a user would; the error carries go's output.
func BuildGateway(dir, out string) error {
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", dir, err, b)
	}
	return nil
}
