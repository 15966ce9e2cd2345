package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// palette colours the targets in order (colour-blind safe: Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue: gateway
	color.RGBA{230, 159, 0, 255},   // orange: gateway-nobatch
	color.RGBA{0, 158, 115, 255},   // green: floor
	color.RGBA{204, 121, 167, 255}, // purple
	color.RGBA{86, 180, 233, 255},  // sky
}

// metric is one row of panels.
type metric struct {
	title string
	unit  string
	value func(Median) float64
}

var metrics = []metric{
	{"p50 latency", "ms", func(m Median) float64 { return m.P50Ms }},
	{"p99 latency", "ms", func(m Median) float64 { return m.P99Ms }},
	{"throughput", "req/s", func(m Median) float64 { return m.ThroughputRPS }},
	{"CPU of the system under test", "ms per request", func(m Median) float64 { return m.CPUMsPerReq }},
}

// chart draws, for the loaded runs (concurrency > 1), one panel per metric
// (rows) and backend latency (columns): the workloads along x, a bar per
// target. Bars taller than the panel's scale (set by the other targets, so
// that they stay readable) are cut and carry their value; a measurement
// where most requests failed has no bar and says "failed".
func chart(res Results, order []string, path string) error {
	var load []Group
	var lats, workloads, targets []string
	for _, g := range res.Groups {
		if g.Concurrency <= 1 {
			continue
		}
		load = append(load, g)
		if !slices.Contains(lats, g.Latency) {
			lats = append(lats, g.Latency)
		}
		if !slices.Contains(workloads, g.Workload) {
			workloads = append(workloads, g.Workload)
		}
	}
	for _, t := range order {
		if slices.ContainsFunc(load, func(g Group) bool { return g.Target == t }) {
			targets = append(targets, t)
		}
	}
	for _, g := range load {
		if !slices.Contains(targets, g.Target) {
			targets = append(targets, g.Target)
		}
	}
	if len(load) == 0 {
		return fmt.Errorf("chart: no loaded runs (concurrency > 1) in the results")
	}
	find := func(lat, wl, t string) (Median, bool) {
		for _, g := range load {
			if g.Latency == lat && g.Workload == wl && g.Target == t {
				return g.Median, true
			}
		}
		return Median{}, false
	}

	rows, cols := len(metrics), len(lats)
	plots := make([][]*plot.Plot, rows)
	legends := make([]plot.Thumbnailer, len(targets))
	const barWidth = 16
	for i, m := range metrics {
		plots[i] = make([]*plot.Plot, cols)
		for j, lat := range lats {
			p := plot.New()
			p.Title.Text = fmt.Sprintf("%s — backend latency %s", m.title, lat)
			p.Y.Label.Text = m.unit
			p.Y.Min = 0
			// Scale: the largest value of the targets that batch, so an
			// unbatched target an order of magnitude off does not flatten
			// the rest; its bars are cut and labelled.
			ceil := 0.0
			all := 0.0
			for _, t := range targets {
				for _, wl := range workloads {
					if md, ok := find(lat, wl, t); ok && md.ErrorRate <= 0.5 {
						v := m.value(md)
						all = math.Max(all, v)
						if t != "gateway-nobatch" {
							ceil = math.Max(ceil, v)
						}
					}
				}
			}
			if ceil == 0 || all <= ceil*2.5 {
				ceil = all
			}
			p.Y.Max = ceil * 1.25
			for k, t := range targets {
				vals := make(plotter.Values, len(workloads))
				var lx plotter.XYs
				var lt []string
				for w, wl := range workloads {
					md, ok := find(lat, wl, t)
					if !ok {
						continue
					}
					v := m.value(md)
					label := short(v)
					if md.ErrorRate > 0.5 { // its latencies are of the few that succeeded
						v, label = 0, "failed"
					}
					vals[w] = math.Min(v, p.Y.Max)
					lx = append(lx, plotter.XY{X: float64(w), Y: vals[w]})
					lt = append(lt, label)
				}
				bars, err := plotter.NewBarChart(vals, barWidth)
				if err != nil {
					return err
				}
				bars.LineStyle.Width = 0
				bars.Color = palette[k%len(palette)]
				bars.Offset = vg.Length(float64(k)-float64(len(targets)-1)/2) * barWidth
				p.Add(bars)
				labels, err := plotter.NewLabels(plotter.XYLabels{XYs: lx, Labels: lt})
				if err != nil {
					return err
				}
				for s := range labels.TextStyle {
					labels.TextStyle[s].Font.Size = vg.Points(7)
					labels.TextStyle[s].XAlign = draw.XCenter
				}
				labels.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
				p.Add(labels)
				if i == 0 && j == 0 {
					legends[k] = bars
				}
			}
			p.NominalX(workloads...)
			grid := plotter.NewGrid()
			grid.Vertical.Color = nil
			p.Add(grid)
			plots[i][j] = p
		}
	}

	const legendHeight = 28
	width, height := vg.Points(float64(cols)*420), vg.Points(float64(rows)*260+legendHeight)
	img := vgimg.New(width, height)
	full := draw.New(img)
	// One line of legend across the top: a thumbnail and name per target.
	strip := draw.Crop(full, vg.Millimeter*15, 0, height-legendHeight, 0)
	for k, t := range targets {
		l := plot.NewLegend()
		l.Top, l.Left = true, true
		l.Add(t, legends[k])
		seg := draw.Crop(strip, vg.Length(k)*150, 0, 0, 0)
		seg = draw.Crop(seg, 0, -(seg.Max.X - seg.Min.X - 150), 0, 0)
		l.Draw(seg)
	}
	dc := draw.Crop(full, 0, 0, 0, -legendHeight)
	tiles := draw.Tiles{
		Rows: rows, Cols: cols,
		PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3,
		PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3,
	}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// short formats a bar's value in three significant digits or so.
func short(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
