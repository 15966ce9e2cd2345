package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/tributarytest"
)

// driftedPricing writes pricing's contract without listAmountCents (a
// rename to listPriceCents) and returns its path.
func driftedPricing(t *testing.T) string {
	t.Helper()
	doc := string(registry.Contract("pricing"))
	for _, r := range [][2]string{
		{"required: [productId, currency, amountCents, listAmountCents]", "required: [productId, currency, amountCents, listPriceCents]"},
		{"        listAmountCents:\n", "        listPriceCents:\n"},
	} {
		if !strings.Contains(doc, r[0]) {
			t.Fatalf("pricing's contract has no %q", r[0])
		}
		doc = strings.Replace(doc, r[0], r[1], 1)
	}
	p := filepath.Join(t.TempDir(), "pricing.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return 1
	}
	return 0
}

// -check-contracts against the running demo (its contracts through the
// gateway's /_demo/<service>/openapi.yaml) exits 0; against a drifted
// pricing (-contract pricing=PATH) exits 1 naming the connector, the
// fields and the registered operations that select them; a contract that
// cannot be fetched exits 2.
func TestCheckContracts(t *testing.T) {
	l, stop, errc := startRunListening(t, []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_LEVEL=error"})
	defer func() { stop(); <-errc }()
	env := []string{"TRIBUTARY_LISTEN_ADDR=" + l.Public.String()}

	var out bytes.Buffer
	if err := run(context.Background(), []string{"-check-contracts"}, env, &out, io.Discard, nil); err != nil {
		t.Fatalf("against the running demo: %v\n%s", err, out.String())
	}
	for _, s := range registry.Services() {
		if !strings.Contains(out.String(), s+": http://"+l.Public.String()+"/_demo/"+s+"/openapi.yaml against "+"api/"+s+".yaml\n  no changes") {
			t.Errorf("the report lacks %s without changes:\n%s", s, out.String())
		}
	}

	// Registered operations: one reads the list price, one only the name.
	const listPrice = `query ListPrice { product(id: "p1") { price { listAmount { formatted } } } }`
	const name = `query Name { product(id: "p1") { name } }`
	m := map[string]string{}
	for _, d := range []string{listPrice, name} {
		sum := sha256.Sum256([]byte(d))
		m[hex.EncodeToString(sum[:])] = d
	}
	b, _ := json.Marshal(m)
	manifest := filepath.Join(t.TempDir(), "persisted.json")
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := run(context.Background(), []string{"-check-contracts", "-contract", "pricing=" + driftedPricing(t), "-operations", manifest}, env, &out, io.Discard, nil)
	if exitCode(err) != 1 {
		t.Fatalf("against a drifted pricing: %v, want exit 1\n%s", err, out.String())
	}
	for _, want := range []string{
		"  BREAKING  Price.listAmountCents: removed",
		"    connector  graph/catalog.graphqls:15 Product.price",
		"    fields     Product.price, Price.discountPercent, Price.listAmount, Price.onSale",
		"    operations ListPrice (" + manifest,
		"at product.price.listAmount)",
		"  safe      Price.listPriceCents: property added",
		"Registered operations: 2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "catalog:") || strings.Contains(out.String(), "Name (") {
		t.Errorf("the report names a service or an operation it should not:\n%s", out.String())
	}

	for _, args := range [][]string{
		{"-check-contracts", "-contract", "pricing=" + filepath.Join(t.TempDir(), "missing.yaml")},
		{"-check-contracts", "-contract", "pricing=http://127.0.0.1:1/openapi.yaml"},
		{"-check-contracts", "-contract", "pricng=x.yaml"},
	} {
		out.Reset()
		if err := run(context.Background(), args, env, &out, io.Discard, nil); exitCode(err) != 2 {
			t.Errorf("%v: %v, want exit 2\n%s", args, err, out.String())
		}
	}
}

// contract_check at start: warn logs the breaking change and starts; fail
// refuses to start, naming the key.
func TestContractCheckAtStart(t *testing.T) {
	drifted := driftedPricing(t)
	var log tributarytest.LogBuffer // the logger writes from several goroutines
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, nil, []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_FORMAT=json",
			"TRIBUTARY_PRICING_CONTRACT_CHECK=warn", "TRIBUTARY_PRICING_CONTRACT_URL=" + drifted}, io.Discard, &log,
			func(listening, *gateway.Gateway) { started <- struct{}{} })
	}()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("warn: did not start: %v", err)
	}
	cancel()
	<-errc
	var found bool
	for _, line := range strings.Split(log.String(), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["level"] == slog.LevelWarn.String() && e["service"] == "pricing" &&
			strings.HasPrefix(e["change"].(string), "Price.listAmountCents: removed") {
			found = true
		}
	}
	if !found {
		t.Errorf("warn: no warning naming the change:\n%s", log.String())
	}

	err := run(context.Background(), nil, []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_LEVEL=error",
		"TRIBUTARY_PRICING_CONTRACT_CHECK=fail", "TRIBUTARY_PRICING_CONTRACT_URL=" + drifted}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "pricing.contract_check") {
		t.Errorf("fail: got %v, want an error naming pricing.contract_check", err)
	}
	err = run(context.Background(), nil, []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_LEVEL=error",
		"TRIBUTARY_CATALOG_CONTRACT_CHECK=sometimes"}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "catalog.contract_check") {
		t.Errorf("a bad mode: got %v, want an error naming catalog.contract_check", err)
	}
}

// Each kind of breaking change names the registered operations that
// select the fields it breaks, and only those.
func TestCheckContractsNamesTheOperationsEachChangeBreaks(t *testing.T) {
	dir := t.TempDir()
	ops := map[string]string{
		"price.graphql":   `query ListPrice { product(id: "p1") { price { listAmount { formatted } } } }`,
		"orders.graphql":  `query OrderStatus { user(id: "u1") { orders { status } } }`,
		"name.graphql":    `query UserName { user(id: "u1") { name } }`,
		"product.graphql": `query Name { product(id: "p1") { name } }`,
		"review.graphql":  `mutation AddReview { addReview(productId: "p1", rating: 5, body: "Fits well.") { id } }`,
	}
	for f, d := range ops {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edited := func(service string, edits ...string) string {
		doc := string(registry.Contract(service))
		for i := 0; i < len(edits); i += 2 {
			if !strings.Contains(doc, edits[i]) {
				t.Fatalf("%s has no %q", service, edits[i])
			}
			doc = strings.Replace(doc, edits[i], edits[i+1], 1)
		}
		p := filepath.Join(t.TempDir(), service+".yaml")
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name, contract, line, op string
	}{
		{"batch parameter renamed", "pricing=" + edited("pricing", "      name: productIds\n", "      name: productIDs\n"),
			"BREAKING  GET /prices parameter productIds: removed", "ListPrice ("},
		{"enum narrowed", "orders=" + edited("orders", "enum: [pending, paid, shipped, delivered, cancelled]", "enum: [pending, paid, shipped, delivered]"),
			"BREAKING  Order.status: enum narrowed: no longer has cancelled", "OrderStatus ("},
		{"write body requires more", "reviews=" + edited("reviews",
			"      required: [productId, authorId, rating, body]\n", "      required: [productId, authorId, rating, body, title]\n",
			"        body:\n          type: string\n          minLength: 1\n", "        title:\n          type: string\n        body:\n          type: string\n          minLength: 1\n"),
			"BREAKING  POST /reviews body NewReview.title: now required; the graph does not send it", "AddReview ("},
		{"read property made optional", "users=" + edited("users", "required: [id, name, email, tier, memberSince]", "required: [id, email, tier, memberSince]"),
			"BREAKING  User.name: now optional", "UserName ("},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"-check-contracts", "-contract", tt.contract, "-operations", dir}, nil, &out, io.Discard, nil)
			if exitCode(err) != 1 {
				t.Fatalf("%v, want exit 1\n%s", err, out.String())
			}
			report := out.String()
			i := strings.Index(report, tt.line)
			if i < 0 {
				t.Fatalf("no line %q:\n%s", tt.line, report)
			}
			// The change's own lines: up to the next change or the end.
			block := report[i:]
			if j := strings.Index(block[1:], "\n  "+"BREAKING"); j >= 0 {
				block = block[:j+1]
			}
			if !strings.Contains(block, "    connector  graph/") || !strings.Contains(block, "    operations "+tt.op) {
				t.Errorf("the change does not name its connector and %s:\n%s", tt.op, block)
			}
			for _, other := range []string{"ListPrice (", "OrderStatus (", "UserName (", " Name (", "AddReview ("} {
				if other != tt.op && strings.Contains(block, other) {
					t.Errorf("the change names %s, which does not select what it breaks:\n%s", other, block)
				}
			}
		})
	}
}
