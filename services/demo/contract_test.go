package demo_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// Every service publishes its checked-in contract at /openapi.yaml (and
// under the admin prefix, which the gateway's /_demo/{service}/ reaches);
// the contract fault serves a drifted one, valid OpenAPI that lacks a
// property the checked-in one requires, and is switched off again.
func TestServicesPublishTheirContract(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	var want []demo.Service
	for _, svc := range demo.Declared() {
		if !slices.Contains(demo.AllServices(), svc) {
			want = append(want, svc)
		}
	}
	if got := b.StandIns(); !slices.Equal(got, want) {
		t.Errorf("stand-ins %v, want %v (the declared services the demo does not implement)", got, want)
	}
	for _, svc := range demo.Declared() {
		want := registry.Contract(string(svc))
		for _, path := range []string{demo.ContractPath, demo.AdminPrefix + "openapi.yaml"} {
			r := get(t, b.URL(svc)+path)
			if r.status != http.StatusOK || !bytes.Equal(r.body, want) {
				t.Errorf("%s %s: %d, %d bytes; want the %d bytes of the registry's contract", svc, path, r.status, len(r.body), len(want))
			}
		}
	}
	ctx := context.Background()
	if r := do(t, ctx, http.MethodPut, b.URL(demo.Pricing)+demo.AdminPrefix+"contract", `{"drift":true}`); r.status != http.StatusOK {
		t.Fatalf("PUT contract fault: %d %s", r.status, r.body)
	}
	drifted := get(t, b.URL(demo.Pricing)+demo.ContractPath)
	doc, err := openapi3.NewLoader().LoadFromData(drifted.body)
	if err != nil {
		t.Fatalf("the drifted contract does not load: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Errorf("the drifted contract is not valid OpenAPI: %v", err)
	}
	price := doc.Components.Schemas["Price"].Value
	if price.Properties["productId"] == nil || price.Properties["listAmountCents"] != nil || price.Properties["listAmountCentsV2"] == nil {
		t.Errorf("drifted Price has %v, want listAmountCents renamed listAmountCentsV2 (the last required property that is not a key)", price.Required)
	}
	if other := get(t, b.URL(demo.Catalog)+demo.ContractPath); !bytes.Equal(other.body, registry.Contract("catalog")) {
		t.Error("the fault of pricing drifted catalog's contract too")
	}
	if !b.SetContractDrift(demo.Pricing, false) || b.SetContractDrift("nope", true) {
		t.Error("SetContractDrift: want true for pricing, false for an unknown service")
	}
	if r := get(t, b.URL(demo.Pricing)+demo.ContractPath); !bytes.Equal(r.body, registry.Contract("pricing")) {
		t.Error("the contract fault did not switch off")
	}
	for _, body := range []string{`{"drift":"yes"}`, `{"drfit":true}`, `nope`} {
		if r := do(t, ctx, http.MethodPut, b.URL(demo.Pricing)+demo.AdminPrefix+"contract", body); r.status != http.StatusBadRequest {
			t.Errorf("PUT %s: %d, want 400", body, r.status)
		}
	}
}
