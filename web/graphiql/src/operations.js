// The example operations opened as GraphiQL's default tabs. GraphiQL titles a
// tab after its operation name, so the leading comment carries the
// human-readable title.

export const productPage = `# Product page: one product with its price, stock, reviews and related products.
query ProductPage {
  product(id: "p1") {
    name
    description
    category
    imageUrl
    price(currency: "EUR") {
      amount {
        formatted
      }
      listAmount {
        formatted
      }
      onSale
      discountPercent
    }
    stock {
      available
      inStock
      warehouse
      restockDate
    }
    reviews(first: 5) {
      rating
      body
      createdAt
      author {
        name
        tier
      }
    }
    ratingSummary {
      count
      average
    }
    related(first: 4) {
      name
      price {
        amount {
          formatted
        }
      }
    }
  }
}
`;

export const listing = `# Listing: a page of products in one category.
query Listing {
  products(category: "shoes", first: 20) {
    nodes {
      id
      name
      price {
        amount {
          formatted
        }
      }
      stock {
        inStock
      }
      ratingSummary {
        average
      }
    }
    pageInfo {
      endCursor
      hasNextPage
    }
  }
}
`;

export const dashboard = `# Dashboard: a user's recent orders, reviews and order summary.
query Dashboard {
  dashboard(userId: "u1") {
    user {
      name
      tier
      memberSince
    }
    recentOrders(first: 5) {
      id
      status
      createdAt
      total {
        formatted
      }
      items {
        quantity
        unitPrice {
          formatted
        }
        product {
          name
          price {
            amount {
              formatted
            }
          }
        }
      }
    }
    reviews(first: 5) {
      rating
      body
      product {
        name
      }
    }
    summary {
      orderCount
      openOrderCount
      totalSpent {
        formatted
      }
      lastOrderAt
    }
  }
}
`;

export const cancelOrder = `# Cancel order: a write. The order is read first (its owner or staff may
# cancel it), then cancelled with an Idempotency-Key; the Fan-out panel
# shows the read and the POST (and its retries). Run it twice: cancelling a
# cancelled order answers it again.
mutation CancelOrder {
  cancelOrder(id: "o10") {
    id
    status
    total {
      formatted
    }
  }
}
`;

export const defaultTabs = [
  { query: productPage },
  { query: listing },
  { query: dashboard },
  { query: cancelOrder },
];
