package main

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sync"
)

// userPage answers the user workload: a user's orders with their items'
// products and prices, and the products the user reviewed. Orders and
// reviews go out with the user; the ordered products and their prices when
// the orders arrive, the reviewed products when the reviews do.
type userPage struct {
	User *userOut `json:"user"`
}

type userOut struct {
	Orders  []userOrder  `json:"orders"`
	Reviews []userReview `json:"reviews"`
}

type userOrder struct {
	Items []userItem `json:"items"`
}

type userItem struct {
	Product *userItemProduct `json:"product"`
}

type userItemProduct struct {
	Price *priceOut `json:"price"`
}

type userReview struct {
	Product *nameOut `json:"product"`
}

func (f *Floor) user(ctx context.Context, q url.Values) (any, error) {
	uid := q.Get("id")
	if uid == "" {
		return nil, badRequest{"missing id"}
	}
	var (
		users          map[string]*user
		recent         []order
		reviews        []review
		ordered, rated map[string]*product
		prices         map[string]*price
		errs           [6]error
		wg             sync.WaitGroup
	)
	wg.Go(func() { users, errs[0] = f.users(ctx, []string{uid}) })
	wg.Go(func() {
		var ol orderList
		if errs[1] = f.get(ctx, f.be.Orders+"/orders?userIds="+url.QueryEscape(uid), &ol); errs[1] != nil {
			return
		}
		for _, o := range ol.Orders {
			if o.UserID == uid {
				recent = append(recent, o)
			}
		}
		slices.SortStableFunc(recent, func(a, b order) int { return b.CreatedAt.Compare(a.CreatedAt) })
		recent = recent[:min(10, len(recent))]
		var ids []string
		for _, o := range recent {
			for _, it := range o.Items {
				ids = append(ids, it.ProductID)
			}
		}
		if ids = dedup(ids); len(ids) == 0 {
			return
		}
		var inner sync.WaitGroup
		inner.Go(func() { ordered, errs[2] = f.products(ctx, ids) })
		prices, errs[3] = f.prices(ctx, ids)
		inner.Wait()
	})
	wg.Go(func() {
		byUser, err := f.reviewsBy(ctx, "authorIds", []string{uid}, byAuthor)
		if errs[4] = err; err != nil {
			return
		}
		reviews = newest(byUser[uid], 10)
		var ids []string
		for _, r := range reviews {
			ids = append(ids, r.ProductID)
		}
		rated, errs[5] = f.products(ctx, dedup(ids))
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	if users[uid] == nil {
		return userPage{}, nil
	}
	out := &userOut{Orders: []userOrder{}, Reviews: []userReview{}}
	for _, o := range recent {
		uo := userOrder{Items: make([]userItem, len(o.Items))}
		for i, it := range o.Items {
			if p := ordered[it.ProductID]; p != nil {
				uo.Items[i].Product = &userItemProduct{Price: toPrice(prices[p.ID])}
			}
		}
		out.Orders = append(out.Orders, uo)
	}
	for _, r := range reviews {
		var p *nameOut
		if rp := rated[r.ProductID]; rp != nil {
			p = &nameOut{Name: rp.Name}
		}
		out.Reviews = append(out.Reviews, userReview{Product: p})
	}
	return userPage{User: out}, nil
}
