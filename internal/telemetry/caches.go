package telemetry

import "github.com/prometheus/client_golang/prometheus"

// CacheSize is what one cache holds, as CacheCollector reports it.
type CacheSize struct {
	Cache          string
	Bytes, Entries int64
}

// CacheCollector reports the size of every cache sizes lists, read at
// each scrape: tributary_cache_bytes and tributary_cache_entries, by
// cache.
func CacheCollector(sizes func() []CacheSize) prometheus.Collector {
	return cacheCollector{sizes}
}

var (
	cacheBytesDesc = prometheus.NewDesc("tributary_cache_bytes",
		"Estimated memory held by each in-process cache (query_documents, apq, verdicts, plans, entity_cache, fallback); each is bounded by its memory.* setting.",
		[]string{"cache"}, nil)
	cacheEntriesDesc = prometheus.NewDesc("tributary_cache_entries",
		"Entries held by each in-process cache.", []string{"cache"}, nil)
)

type cacheCollector struct{ sizes func() []CacheSize }

func (cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheBytesDesc
	ch <- cacheEntriesDesc
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sizes() {
		ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(s.Bytes), s.Cache)
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(s.Entries), s.Cache)
	}
}
