//! Line charts written as SVG, for the listings that measure how something scales.
//!
//! A chart is a title, two axis labels and any number of named series of `(x, y)`
//! points; each series becomes one line with a marker at every point and an entry
//! in the legend. The axes start at zero and reach a little past the largest value,
//! so speedups and times read honestly against the origin.

use plotters::prelude::*;
use std::error::Error;
use std::path::Path;

/// One named line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A line chart: a title, axis labels and the series to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

/// Size of the SVG image, in pixels.
const SIZE: (u32, u32) = (640, 420);

/// Line colours, in the order the series are added; darker than the basic
/// palette so the lines stay readable on a white page.
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(90, 90, 90),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

impl LineChart {
    /// An empty chart with its title and axis labels.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> LineChart {
        LineChart {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            series: Vec::new(),
        }
    }

    /// Adds a series; the chart draws them in the order they were added.
    pub fn with_series(mut self, name: &str, points: Vec<(f64, f64)>) -> LineChart {
        self.series.push(Series {
            name: name.to_owned(),
            points,
        });
        self
    }

    /// The chart as the text of an SVG document.
    pub fn to_svg(&self) -> Result<String, Box<dyn Error>> {
        let mut svg = String::new();
        self.draw(SVGBackend::with_string(&mut svg, SIZE).into_drawing_area())?;
        Ok(svg)
    }

    /// Writes the chart to `path` as an SVG file.
    pub fn write_svg(&self, path: &Path) -> Result<(), Box<dyn Error>> {
        std::fs::write(path, self.to_svg()?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
    }

    fn draw<DB>(&self, root: DrawingArea<DB, plotters::coord::Shift>) -> Result<(), Box<dyn Error>>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        if points().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
            return Err("a chart can only draw finite values".into());
        }
        let x_max = points().map(|p| p.0).fold(0.0, f64::max);
        let y_max = points().map(|p| p.1).fold(0.0, f64::max);
        // Headroom above the largest value, and a usable range if all are zero.
        let x_end = if x_max > 0.0 { x_max * 1.05 } else { 1.0 };
        let y_end = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };

        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_end, 0.0..y_end)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|x| tick_label(*x))
            .y_label_formatter(&|y| tick_label(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;

        for (index, series) in self.series.iter().enumerate() {
            let colour = COLOURS[index % COLOURS.len()];
            let line = colour.stroke_width(2);
            chart
                .draw_series(LineSeries::new(series.points.iter().copied(), line))?
                .label(series.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
            chart.draw_series(
                series
                    .points
                    .iter()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()?;
        root.present()?;
        Ok(())
    }
}

/// Whole numbers without a decimal point (thread counts), others as they come.
fn tick_label(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}").trim_end_matches('0').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_names_the_chart_and_its_series() {
        let svg = LineChart::new("Speedup", "threads", "speedup")
            .with_series("measured", vec![(1.0, 1.0), (2.0, 1.9)])
            .with_series("ideal", vec![(1.0, 1.0), (2.0, 2.0)])
            .to_svg()
            .unwrap();
        assert!(svg.starts_with("<svg"));
        for text in ["Speedup", "threads", "measured", "ideal"] {
            assert!(svg.contains(text), "{text} missing from the SVG");
        }
    }

    #[test]
    fn non_finite_values_are_an_error_not_a_broken_picture() {
        let chart = LineChart::new("t", "x", "y").with_series("s", vec![(1.0, f64::NAN)]);
        assert!(chart.to_svg().is_err());
    }
}
