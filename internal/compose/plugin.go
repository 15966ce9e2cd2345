// Package compose is the gqlgen plugin that turns the schema's composition
// directives (@source, @connect, @computed, @map, @range and the policy
// directives) into code: it checks every connector against its service's
// OpenAPI document, stopping generation with a located message when they
// disagree, and generates the service clients, the per-request loaders,
// the resolvers with their fetch plan, the models' contract fields and the
// registry the gateway reads its policies from.
//
// It runs as part of `go generate ./...` (see server.go): gqlgen's
// modelgen and resolvergen plugins are wrapped, not forked.
package compose

import (
	"fmt"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/99designs/gqlgen/plugin"
	"github.com/99designs/gqlgen/plugin/modelgen"
	"github.com/99designs/gqlgen/plugin/resolvergen"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/mod/modfile"
)

// Plugin replaces gqlgen's modelgen: it analyses the schema, generates the
// models with their contract fields, and then the connector code.
type Plugin struct {
	root   string
	module string
	g      *Graph
}

var (
	_ plugin.EarlySourcesInjector = (*Plugin)(nil)
	_ plugin.ConfigMutator        = (*Plugin)(nil)
	_ plugin.CodeGenerator        = (*Plugin)(nil)
)

// New returns the plugin for the module rooted at root (contracts are
// relative to it; generated packages go under it).
func New(root string) (*Plugin, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	mod := modfile.ModulePath(b)
	if mod == "" {
		return nil, fmt.Errorf("compose: %s/go.mod has no module line", root)
	}
	return &Plugin{root: root, module: mod}, nil
}

// Name implements plugin.Plugin. The plugin takes modelgen's place.
func (p *Plugin) Name() string { return "compose" }

// MutateConfig implements plugin.ConfigMutator.
func (p *Plugin) MutateConfig(cfg *config.Config) error {
	g, err := Analyze(cfg.Schema, p.root)
	if err != nil {
		return err
	}
	p.g = g
	// The gateway reads what these mean from the registry; nothing runs
	// them per field at execution.
	for _, d := range directiveNames() {
		cfg.Directives[d] = config.DirectiveConfig{SkipRuntime: true}
	}
	if err := p.userModels(cfg); err != nil {
		return err
	}
	// Connector and computed fields are resolvers; batch ones where every
	// parent may read them.
	set := func(typeName, field string, batch bool) {
		e := cfg.Models[typeName]
		if e.Fields == nil {
			e.Fields = map[string]config.TypeMapField{}
		}
		tf := e.Fields[field]
		tf.Resolver = true
		tf.Batch = &batch
		e.Fields[field] = tf
		cfg.Models[typeName] = e
	}
	for _, c := range g.Connectors {
		set(c.Type, c.Field, batchField(c.Type, c.def))
	}
	for _, c := range g.Computed {
		set(c.Type, c.Field, batchField(c.Type, c.def))
	}
	// Fields the engine needs as resolvers though no connector serves
	// them: the plugin decides, the schema carries no hint.
	for _, t := range sortedKeys(g.forced) {
		for _, f := range sortedKeys(g.forced[t]) {
			e := cfg.Models[t]
			if e.Fields == nil {
				e.Fields = map[string]config.TypeMapField{}
			}
			tf := e.Fields[f]
			tf.Resolver = true
			e.Fields[f] = tf
			cfg.Models[t] = e
		}
	}

	mg := modelgen.New().(*modelgen.Plugin)
	mg.FieldHook = func(td *ast.Definition, fd *ast.FieldDefinition, f *modelgen.Field) (*modelgen.Field, error) {
		f, err := modelgen.DefaultFieldMutateHook(td, fd, f)
		if err != nil || f == nil {
			return f, err
		}
		m := g.Models[td.Name]
		if m == nil || td.Kind != ast.Object {
			return f, nil
		}
		if m.Omit[fd.Name] {
			return nil, nil // a resolver or a hand-written method
		}
		if prop := m.Props[fd.Name]; prop != "" && prop != fd.Name {
			f.Tag = strings.Replace(f.Tag, `json:"`+fd.Name, `json:"`+prop, 1)
		}
		return f, nil
	}
	var hiddenErr error
	mg.MutateHook = func(b *modelgen.ModelBuild) *modelgen.ModelBuild {
		b = modelgen.DefaultBuildMutateHook(b)
		binder := cfg.NewBinder()
		for _, o := range b.Models {
			m := g.Models[o.Name]
			if m == nil {
				continue
			}
			for _, prop := range sortedKeys(m.Hidden) {
				t, err := p.hiddenType(binder, m, prop)
				if err != nil {
					hiddenErr = err
					continue
				}
				o.Fields = append(o.Fields, &modelgen.Field{
					Description: fmt.Sprintf("%s is the contract's %s, which the schema reads but does not expose.", templates.ToGo(prop), prop),
					Name:        prop,
					GoName:      templates.ToGo(prop),
					Type:        t,
					Tag:         fmt.Sprintf(`json:"%s"`, prop),
				})
			}
		}
		return b
	}
	if err := mg.MutateConfig(cfg); err != nil {
		return err
	}
	return hiddenErr
}

func (p *Plugin) hiddenType(binder *config.Binder, m *Model, prop string) (types.Type, error) {
	str := types.Typ[types.String]
	if m.Schema == nil {
		return str, nil // a key a hand-written resolver sets
	}
	s := m.Schema.Value.Properties[prop].Value
	list := false
	if is(s, "array") && s.Items != nil {
		list, s = true, s.Items.Value
	}
	var t types.Type
	switch {
	case is(s, "string") && s.Format == "date-time":
		tt, err := binder.FindTypeFromName("time.Time")
		if err != nil {
			return nil, err
		}
		t = tt
	case is(s, "string"):
		t = str
	case is(s, "integer") && s.Format == "int64":
		t = types.Typ[types.Int64]
	case is(s, "integer"):
		t = types.Typ[types.Int]
	case is(s, "number"):
		t = types.Typ[types.Float64]
	case is(s, "boolean"):
		t = types.Typ[types.Bool]
	default:
		return nil, fmt.Errorf("compose: %s.%s is %s; the schema may read only scalars (or lists of them) that it does not expose", m.Name, prop, describe(s))
	}
	if list {
		t = types.NewSlice(t)
	}
	return t, nil
}

// userModels checks hand-written models of connector types: the JSON
// decoding fills them, so every property the schema reads needs a field
// tagged with its name.
func (p *Plugin) userModels(cfg *config.Config) error {
	p.g.userFields = map[string]map[string]string{}
	var errs Errors
	for _, name := range sortedKeys(p.g.Models) {
		m := p.g.Models[name]
		if !cfg.Models.UserDefined(name) || (m.Schema == nil && len(m.Hidden) == 0) {
			continue
		}
		ref := cfg.Models[name].Model[0]
		i := strings.LastIndex(ref, ".")
		pkg := cfg.Packages.Load(ref[:i])
		if pkg == nil || pkg.Types == nil {
			errs = append(errs, fmt.Sprintf("%s: cannot load %s", name, ref))
			continue
		}
		obj := pkg.Types.Scope().Lookup(ref[i+1:])
		if obj == nil {
			errs = append(errs, fmt.Sprintf("%s: %s not found", name, ref))
			continue
		}
		st, ok := obj.Type().Underlying().(*types.Struct)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: %s is not a struct", name, ref))
			continue
		}
		tags := map[string]string{}
		for i := range st.NumFields() {
			tag := strings.Split(reflect.StructTag(st.Tag(i)).Get("json"), ",")[0]
			if tag != "" && tag != "-" {
				tags[tag] = st.Field(i).Name()
			}
		}
		need := map[string]bool{}
		for _, prop := range m.Props {
			need[prop] = true
		}
		for prop := range m.Hidden {
			need[prop] = true
		}
		p.g.userFields[name] = map[string]string{}
		for _, prop := range sortedKeys(need) {
			if f, ok := tags[prop]; ok {
				p.g.userFields[name][prop] = f
				continue
			}
			errs = append(errs, fmt.Sprintf("%s: %s is hand-written, so it needs a field tagged `json:%q` for the contract's %s", name, ref, prop, prop))
		}
	}
	sort.Strings(errs)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// GenerateCode implements plugin.CodeGenerator.
func (p *Plugin) GenerateCode(data *codegen.Data) error {
	if p.g == nil {
		return errNoGraph
	}
	return p.g.Generate(p.root, p.module, data)
}

// Resolvers wraps gqlgen's resolvergen so that it stubs only the resolvers
// the generator does not write.
func Resolvers(p *Plugin) plugin.Plugin {
	return &resolverPlugin{p: p, inner: resolvergen.New().(plugin.CodeGenerator)}
}

type resolverPlugin struct {
	p     *Plugin
	inner plugin.CodeGenerator
}

func (r *resolverPlugin) Name() string { return "resolvergen" }

func (r *resolverPlugin) GenerateCode(data *codegen.Data) error {
	if r.p.g == nil {
		return errNoGraph
	}
	type saved struct {
		f     *codegen.Field
		batch bool
	}
	var hidden []saved
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if f.IsResolver && r.p.g.Generated(o.Name, f.Name) {
				hidden = append(hidden, saved{f, f.Batch})
				f.IsResolver, f.Batch = false, false
			}
		}
	}
	err := r.inner.GenerateCode(data)
	for _, h := range hidden {
		h.f.IsResolver, h.f.Batch = true, h.batch
	}
	return err
}
