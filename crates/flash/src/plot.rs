//! Small SVG plots for benchmark results: [`svg`], lines on log-log axes
//! (time against batch size), and [`ratios`], one bar per row on a log axis
//! of Flash's time over its baseline's (1x marked: left of it Flash is faster).

/// One line of the plot.
pub struct Series {
    pub label: String,
    pub colour: &'static str,
    pub dashed: bool,
    /// (x, y), both positive.
    pub points: Vec<(f64, f64)>,
}

/// Renders the series as an SVG document: batch size (x) against seconds (y), both log scale.
pub fn svg(series: &[Series]) -> String {
    let (w, h, left, right, top, bottom) = (820.0, 520.0, 70.0, 260.0, 30.0, 60.0);
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 >= x1 {
        x1 = x0 * 10.0;
    }
    let (ly0, ly1) = (y0.max(1e-4).log10().floor(), y1.max(1e-3).log10().ceil());
    let (lx0, lx1) = (x0.log10(), x1.log10());
    let px = |x: f64| left + (x.log10() - lx0) / (lx1 - lx0).max(1e-9) * (w - left - right);
    let py = |y: f64| h - bottom - (y.max(1e-4).log10() - ly0) / (ly1 - ly0).max(1e-9) * (h - top - bottom);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    // Gridlines: decades on y, the data's x values on x.
    let mut decade = ly0;
    while decade <= ly1 {
        let y = py(10f64.powf(decade));
        out += &format!(
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            w - right,
            left - 6.0,
            y + 4.0,
            10f64.powf(decade)
        );
        decade += 1.0;
    }
    let mut xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.dedup();
    for x in xs {
        let sx = px(x);
        out += &format!(
            "<line x1=\"{sx:.1}\" y1=\"{top}\" x2=\"{sx:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/><text x=\"{sx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x}</text>\n",
            h - bottom,
            h - bottom + 18.0
        );
    }
    out += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">programs in the batch (log)</text>\n\
         <text transform=\"translate(18 {:.1}) rotate(-90)\" text-anchor=\"middle\">seconds until all results are in (log)</text>\n",
        left + (w - left - right) / 2.0,
        h - 18.0,
        top + (h - top - bottom) / 2.0
    );
    for (i, s) in series.iter().enumerate() {
        let pts: Vec<String> = s.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        let dash = if s.dashed { " stroke-dasharray=\"6 4\"" } else { "" };
        out += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash}/>\n",
            pts.join(" "),
            s.colour
        );
        let ly = top + 10.0 + i as f64 * 20.0;
        let lx = w - right + 16.0;
        out += &format!(
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{:.1}\" y2=\"{ly}\" stroke=\"{}\" stroke-width=\"2\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            lx + 24.0,
            s.colour,
            lx + 30.0,
            ly + 4.0,
            s.label
        );
    }
    out + "</svg>\n"
}

/// One bar of [`ratios`].
pub struct Ratio {
    /// What was measured.
    pub label: String,
    /// Against what (a second, smaller line).
    pub against: String,
    /// Flash's time over the baseline's (positive).
    pub ratio: f64,
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Renders `rows` as horizontal bars from 1x on a log axis: a bar to the left
/// is a ratio under 1 (Flash faster), to the right over 1; each is labelled
/// with its ratio.
pub fn ratios(title: &str, rows: &[Ratio]) -> String {
    let (w, label_w, right, top, row_h, bottom) = (940.0, 420.0, 90.0, 40.0, 34.0, 50.0);
    let h = top + row_h * rows.len() as f64 + bottom;
    let logs = rows.iter().map(|r| r.ratio.max(1e-4).log10());
    let lo = logs.clone().fold(0.0f64, f64::min).floor();
    let hi = logs.fold(0.0f64, f64::max).ceil().max(lo + 1.0);
    let px = |r: f64| label_w + (r.max(1e-4).log10() - lo) / (hi - lo) * (w - label_w - right);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{:.1}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        w / 2.0,
        esc(title)
    );
    let mut decade = lo;
    while decade <= hi {
        let (x, v) = (px(10f64.powf(decade)), 10f64.powf(decade));
        let stroke = if decade == 0.0 { "#333" } else { "#ddd" };
        out += &format!(
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{stroke}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v}x</text>\n",
            h - bottom,
            h - bottom + 16.0
        );
        decade += 1.0;
    }
    out += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">Flash / baseline, same run (log; left of 1x Flash is faster)</text>\n",
        label_w + (w - label_w - right) / 2.0,
        h - 12.0
    );
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + 6.0;
        let (one, end) = (px(1.0), px(r.ratio));
        let (x0, x1) = (one.min(end), one.max(end).max(one.min(end) + 1.0));
        let colour = if r.ratio <= 1.0 { "#2ca02c" } else { "#d62728" };
        out += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">vs {}</text>\n\
             <rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            label_w - 8.0,
            y + row_h / 2.0 - 3.0,
            esc(&r.label),
            label_w - 8.0,
            y + row_h / 2.0 + 9.0,
            esc(&r.against),
            x1 - x0,
            row_h - 12.0,
            x1 + 4.0,
            y + row_h / 2.0,
            if r.ratio < 0.1 { format!("{:.3}x", r.ratio) } else { format!("{:.2}x", r.ratio) }
        );
    }
    out + "</svg>\n"
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_every_series_and_its_label() {
        let s = vec![
            super::Series { label: "a".into(), colour: "red", dashed: false, points: vec![(1.0, 0.1), (10.0, 1.0)] },
            super::Series { label: "b".into(), colour: "blue", dashed: true, points: vec![(1.0, 0.2), (10.0, 3.0)] },
        ];
        let out = super::svg(&s);
        assert_eq!(out.matches("<polyline").count(), 2);
        assert!(out.contains(">a</text>") && out.contains(">b</text>") && out.contains("stroke-dasharray"));
    }

    #[test]
    fn ratio_bars_one_per_row_each_labelled_with_its_ratio() {
        let rows = vec![
            super::Ratio { label: "fast <here>".into(), against: "plain".into(), ratio: 0.004 },
            super::Ratio { label: "slow".into(), against: "plain".into(), ratio: 1.5 },
        ];
        let out = super::ratios("t", &rows);
        assert_eq!(out.matches("<rect").count(), 3, "the background and one bar per row");
        assert!(out.contains(">fast &lt;here&gt;</text>") && out.contains(">0.004x</text>"));
        assert!(out.contains(">vs plain</text>"));
        assert!(out.contains(">1.50x</text>") && out.contains(">1x</text>"));
    }
}
