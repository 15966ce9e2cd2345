package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/tributary-gw/tributary/internal/config"
)

// invalidate serves DELETE /admin/cache/{service}/{id}: it drops every
// cached answer about the entity (all endpoints, all parameters) here and,
// with Redis, on every replica. It needs the bearer token; without the
// entity cache it drops nothing and says so.
func (g *Gateway) invalidate(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			writeRequestError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "a valid admin token is required")
			return
		}
		service, id := r.PathValue("service"), r.PathValue("id")
		if !slices.Contains(config.Services, service) {
			writeRequestError(w, http.StatusNotFound, "NOT_FOUND", "no such service")
			return
		}
		dropped, err := g.cache.Invalidate(r.Context(), service, id)
		status, shared := http.StatusOK, g.cache != nil
		if err != nil {
			// Dropped here; the other replicas keep theirs until it expires.
			g.log.Error("entity cache: invalidation not shared", "service", service, "err", err)
			status, shared = http.StatusBadGateway, false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"service": service, "id": id, "dropped": dropped, "enabled": g.cache != nil, "shared": shared,
		})
	})
}
