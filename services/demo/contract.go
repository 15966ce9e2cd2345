package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/standin"
)

// ContractPath is where every demo backend and stand-in publishes its
// contract; AdminPrefix+"openapi.yaml" serves the same, so that the
// gateway's /_demo/{service}/openapi.yaml reaches it.
const ContractPath = "/openapi.yaml"

// publisher serves a service's contract — the one checked in, as the
// registry carries it — in front of the service's handler, and a drifted
// copy while the contract fault is on (PUT /_demo/contract {"drift":true}):
// its first read item's last required property that is not a key is
// renamed (pricing's listAmountCents → listAmountCentsV2), as a team's
// careless release would.
type publisher struct {
	svc  Service
	doc  []byte
	next http.Handler

	drift       atomic.Bool
	driftedOnce sync.Once
	drifted     []byte
	driftErr    error
}

func newPublisher(svc Service, next http.Handler) *publisher {
	return &publisher{svc: svc, doc: registry.Contract(string(svc)), next: next}
}

func (p *publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case ContractPath, AdminPrefix + "openapi.yaml":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "GET the contract")
			return
		}
		doc := p.doc
		if p.drift.Load() {
			var err error
			if doc, err = p.driftedDoc(); err != nil {
				writeError(w, http.StatusInternalServerError, err.Error())
				return
			}
		}
		if doc == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("%s declares no contract", p.svc))
			return
		}
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(doc)
	case AdminPrefix + "contract":
		switch r.Method {
		case http.MethodPut:
			var body struct {
				Drift bool `json:"drift"`
			}
			dec := json.NewDecoder(io.LimitReader(r.Body, 1<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil {
				writeError(w, http.StatusBadRequest, `want {"drift": true|false}: `+err.Error())
				return
			}
			p.drift.Store(body.Drift)
		case http.MethodGet:
		default:
			writeError(w, http.StatusMethodNotAllowed, "GET or PUT")
			return
		}
		w.Header().Set("Content-Type", contentTypeJSON)
		_ = json.NewEncoder(w).Encode(map[string]bool{"drift": p.drift.Load()})
	default:
		p.next.ServeHTTP(w, r)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: msg})
}

// Handler returns what serves svc — its demo Server or stand-in, behind its
// contract — or nil for a service that does not run here.
func (b *Backends) Handler(svc Service) http.Handler {
	if p := b.publishers[svc]; p != nil {
		return p
	}
	return nil
}

// SetContractDrift makes svc publish a drifted contract (on) or its own
// (off). It reports whether svc runs here.
func (b *Backends) SetContractDrift(svc Service, on bool) bool {
	p := b.publishers[svc]
	if p == nil {
		return false
	}
	p.drift.Store(on)
	return true
}

func (p *publisher) driftedDoc() ([]byte, error) {
	p.driftedOnce.Do(func() { p.drifted, p.driftErr = Drift(p.doc) })
	return p.drifted, p.driftErr
}

// Drift returns doc with the last required property that is not a key of
// the item its first GET answers renamed (listAmountCents →
// listAmountCentsV2): a change that breaks whatever reads it. The result is JSON, which is YAML too.
func Drift(doc []byte) ([]byte, error) {
	l := openapi3.NewLoader()
	d, err := l.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("demo: drift: %w", err)
	}
	paths := d.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		op := d.Paths.Value(path).Get
		if op == nil || op.Responses == nil {
			continue
		}
		r := op.Responses.Status(http.StatusOK)
		if r == nil || r.Value == nil || r.Value.Content.Get("application/json") == nil {
			continue
		}
		s := r.Value.Content.Get("application/json").Schema
		for s != nil && s.Value != nil {
			v := s.Value
			if v.Items != nil {
				s = v.Items
				continue
			}
			if len(v.Required) == 1 && v.Properties[v.Required[0]] != nil && v.Properties[v.Required[0]].Value.Items != nil {
				s = v.Properties[v.Required[0]].Value.Items // an envelope
				continue
			}
			for i := len(v.Required) - 1; i >= 0; i-- {
				name := v.Required[i]
				if (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids") || name == "id") && i > 0 {
					continue // keep keys: rename something the graph reads as data
				}
				v.Properties[name+"V2"] = v.Properties[name]
				delete(v.Properties, name)
				v.Required[i] = name + "V2"
				return json.MarshalIndent(d, "", "  ")
			}
			break
		}
	}
	return nil, fmt.Errorf("demo: drift: no GET answers an item with a required property")
}

// standIn is the handler of a declared service the demo does not
// implement: a stand-in built from its contract.
func standIn(svc Service) (http.Handler, error) {
	doc := registry.Contract(string(svc))
	if doc == nil {
		return nil, fmt.Errorf("demo: %s has no contract in the registry", svc)
	}
	return standin.New(string(svc), doc)
}
