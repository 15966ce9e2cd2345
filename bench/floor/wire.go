package main

import "time"

// The backends' wire types (BACKENDS.md), the floor's own: only the fields
// the three workloads show are decoded.

type product struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	RelatedIDs []string `json:"relatedIds"`
}

type price struct {
	ProductID   string `json:"productId"`
	Currency    string `json:"currency"`
	AmountCents int64  `json:"amountCents"`
}

type stock struct {
	ProductID string `json:"productId"`
	Available int    `json:"available"`
}

type review struct {
	ID        string    `json:"id"`
	ProductID string    `json:"productId"`
	AuthorID  string    `json:"authorId"`
	Rating    int       `json:"rating"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
}

type user struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tier string `json:"tier"`
}

type order struct {
	ID         string      `json:"id"`
	UserID     string      `json:"userId"`
	Status     string      `json:"status"`
	CreatedAt  time.Time   `json:"createdAt"`
	Currency   string      `json:"currency"`
	TotalCents int64       `json:"totalCents"`
	Items      []orderItem `json:"items"`
}

type orderItem struct {
	ProductID      string `json:"productId"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents"`
}

// Response envelopes of the batch endpoints.
type (
	productList struct {
		Products   []product `json:"products"`
		NextCursor string    `json:"nextCursor"`
	}
	priceList struct {
		Prices []price `json:"prices"`
	}
	stockList struct {
		Items []stock `json:"items"`
	}
	reviewList struct {
		Reviews []review `json:"reviews"`
	}
	userList struct {
		Users []user `json:"users"`
	}
	orderList struct {
		Orders []order `json:"orders"`
	}
)

// The answers, shaped exactly like the gateway's `data` for the workload
// queries in bench/workload: pointers are the schema's nullable fields.

type money struct {
	Formatted string `json:"formatted"`
}

type priceOut struct {
	Amount money `json:"amount"`
}

type stockOut struct {
	Available int  `json:"available"`
	InStock   bool `json:"inStock"`
}

type nameOut struct {
	Name string `json:"name"`
}

type reviewWithAuthor struct {
	Rating int      `json:"rating"`
	Author *nameOut `json:"author"`
}

type ratingSummary struct {
	Count   int      `json:"count"`
	Average *float64 `json:"average"`
}

type listingNode struct {
	ID            string             `json:"id"`
	Name          string             `json:"name"`
	Price         *priceOut          `json:"price"`
	Stock         *stockOut          `json:"stock"`
	Reviews       []reviewWithAuthor `json:"reviews"`
	RatingSummary ratingSummary      `json:"ratingSummary"`
	Related       []nameOut          `json:"related"`
}

type pageInfo struct {
	EndCursor   *string `json:"endCursor"`
	HasNextPage bool    `json:"hasNextPage"`
}

type listingData struct {
	Products struct {
		Nodes    []listingNode `json:"nodes"`
		PageInfo pageInfo      `json:"pageInfo"`
	} `json:"products"`
}

type relatedWithPrice struct {
	Name  string    `json:"name"`
	Price *priceOut `json:"price"`
}

type productPage struct {
	Name          string             `json:"name"`
	Price         *priceOut          `json:"price"`
	Stock         *stockOut          `json:"stock"`
	Reviews       []reviewWithAuthor `json:"reviews"`
	RatingSummary ratingSummary      `json:"ratingSummary"`
	Related       []relatedWithPrice `json:"related"`
}

type productData struct {
	Product *productPage `json:"product"`
}

// hotPage is productPage without related products (workload.HotProduct).
type hotPage struct {
	Name          string             `json:"name"`
	Price         *priceOut          `json:"price"`
	Stock         *stockOut          `json:"stock"`
	Reviews       []reviewWithAuthor `json:"reviews"`
	RatingSummary ratingSummary      `json:"ratingSummary"`
}

type hotData struct {
	Product *hotPage `json:"product"`
}

type itemProduct struct {
	Name  string    `json:"name"`
	Price *priceOut `json:"price"`
}

type itemOut struct {
	Quantity  int          `json:"quantity"`
	UnitPrice money        `json:"unitPrice"`
	Product   *itemProduct `json:"product"`
}

type orderOut struct {
	ID     string    `json:"id"`
	Status string    `json:"status"`
	Total  money     `json:"total"`
	Items  []itemOut `json:"items"`
}

type reviewBody struct {
	Rating int    `json:"rating"`
	Body   string `json:"body"`
}

type summaryOut struct {
	OrderCount int     `json:"orderCount"`
	TotalSpent []money `json:"totalSpent"`
}

type dashboard struct {
	User struct {
		Name string `json:"name"`
		Tier string `json:"tier"`
	} `json:"user"`
	RecentOrders []orderOut   `json:"recentOrders"`
	Reviews      []reviewBody `json:"reviews"`
	Summary      summaryOut   `json:"summary"`
}

type dashboardData struct {
	Dashboard *dashboard `json:"dashboard"`
}
