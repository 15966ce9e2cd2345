package enginetest

import (
	"context"
	"errors"
	"strings"

	"github.com/tributary-gw/tributary/graph/registry"
)

// Resolver is the schema's resolver root over fixed data.
type Resolver struct{}

func (r *Resolver) Author() AuthorResolver { return authorResolver{} }
func (r *Resolver) Book() BookResolver     { return bookResolver{} }
func (r *Resolver) Query() QueryResolver   { return queryResolver{} }

// Fields is what the engine is told of the schema's fields: those gqlgen
// runs through a resolver (no service declares any).
type Fields struct{}

func (Fields) Lookup(string, string) *registry.Field { return nil }
func (Fields) Resolved(t, f string) bool {
	return t == "Query" || t == "Author" && f == "books" || t == "Book" && f == "author"
}

var (
	books = []*Book{
		{ID: "b1", Title: "Dune", Pages: 412, AuthorID: "a1", Lines: [][]string{{"a", "b"}, nil, {}}},
		{ID: "b2", Title: "Emma", Pages: 1, AuthorID: "a2"},
		{ID: "b3", Title: "Ulysses", Pages: 730, AuthorID: "a3", Lines: [][]string{{"yes"}}},
		{ID: "b4", Title: "Persuasion", Pages: 249, AuthorID: "a2"},
		{ID: "b5", Title: "Lost", Pages: 10, AuthorID: "down"},
	}
	authors = []*Author{{ID: "a1", Name: "Frank Herbert"}, {ID: "a2", Name: "Jane Austen"}}
)

func bookByID(id string) *Book {
	for _, b := range books {
		if b.ID == id {
			return b
		}
	}
	return nil
}

func authorByID(id string) *Author {
	for _, a := range authors {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// nodeByID is a book or an author; nil for an unknown id.
func nodeByID(id string) (Node, error) {
	if id == "boom" {
		return nil, errors.New("node store down")
	}
	if b := bookByID(id); b != nil {
		return b, nil
	}
	if a := authorByID(id); a != nil {
		return a, nil
	}
	return nil, nil
}

type queryResolver struct{}

func (queryResolver) Node(_ context.Context, id string) (Node, error) { return nodeByID(id) }

func (queryResolver) Book(_ context.Context, id string) (*Book, error) { return bookByID(id), nil }
func (queryResolver) Author(_ context.Context, id string) (*Author, error) {
	return authorByID(id), nil
}

func (queryResolver) Nodes(_ context.Context, ids []string) ([]Node, error) {
	out := make([]Node, len(ids))
	for i, id := range ids {
		n, err := nodeByID(id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func (queryResolver) Search(_ context.Context, text string) ([]SearchResult, error) {
	if text == "" {
		return nil, errors.New("empty search")
	}
	var out []SearchResult
	text = strings.ToLower(text)
	for _, b := range books {
		if strings.Contains(strings.ToLower(b.Title), text) {
			out = append(out, b)
		}
	}
	for _, a := range authors {
		if strings.Contains(strings.ToLower(a.Name), text) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (queryResolver) Grid(context.Context) ([][]*Cell, error) {
	l := "corner"
	return [][]*Cell{
		{{X: 0, Y: 0, Label: &l, Neighbour: books[0]}, nil, {X: 0, Y: 2, Neighbour: authors[1]}},
		nil,
		{{X: 2, Y: 0, Neighbour: books[4]}},
	}, nil
}

func (queryResolver) Matrix(context.Context) ([][]int, error) {
	return [][]int{{1, 2}, {}, nil, {3}}, nil
}

func (queryResolver) Shelf(context.Context) (*Shelf, error) {
	return &Shelf{Name: "fiction", Rows: [][]*Book{{books[0], nil}, {books[1], books[3]}, nil, {books[4]}}}, nil
}

type authorResolver struct{}

func (authorResolver) Books(_ context.Context, a *Author) ([]*Book, error) {
	var out []*Book
	for _, b := range books {
		if b.AuthorID == a.ID {
			out = append(out, b)
		}
	}
	return out, nil
}

type bookResolver struct{}

func (bookResolver) Author(_ context.Context, b *Book) (*Author, error) {
	if b.AuthorID == "down" {
		return nil, errors.New("author service down")
	}
	return authorByID(b.AuthorID), nil
}
