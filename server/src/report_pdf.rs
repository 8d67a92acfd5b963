//! Reports as PDF: each A4 page is laid out as SVG (text in the charts' own Roboto
//! font, tables, and the report's charts placed as vector groups), converted to a
//! PDF form by svg2pdf with the font embedded, and the pages assembled with
//! pdf-writer. Text stays real text, so it can be searched and copied.

use anyhow::{Context, Result, anyhow};
use manna_core::report::{Cell, Report, RowStyle, Table};
use manna_core::{Currency, format_money};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};
use std::collections::HashMap;
use std::fmt::Write as _;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 40.0;
const BOTTOM: f32 = HEIGHT - 50.0;
const ROW: f32 = 14.0;
const LABEL_WIDTH: f32 = 190.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Cuts a label to about what fits in `width` points at `size`.
fn fit(s: &str, width: f32, size: f32) -> String {
    let max = (width / (size * 0.52)) as usize;
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

fn cell_text(cell: &Cell, currency: Currency) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Money(m) => format_money(*m, currency),
        Cell::Percent(Some(p)) => format!("{p}%"),
        Cell::Percent(None) => "—".into(),
        Cell::Count(n) => n.to_string(),
        Cell::Empty => String::new(),
    }
}

/// How a piece of text is set.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    weight: &'static str,
    anchor: &'static str,
    fill: &'static str,
}

const INK: &str = "#1c2430";
const MUTED: &str = "#5f6b7a";
const RED: &str = "#b42318";

fn style(size: f32, bold: bool, end: bool, fill: &'static str) -> Style {
    Style { size, weight: if bold { "bold" } else { "normal" }, anchor: if end { "end" } else { "start" }, fill }
}

/// Pages being laid out, each an SVG body.
struct Pages {
    done: Vec<String>,
    body: String,
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages { done: Vec::new(), body: String::new(), y: MARGIN }
    }

    fn text(&mut self, x: f32, y: f32, style: Style, s: &str) {
        let Style { size, weight, anchor, fill } = style;
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-family="Roboto" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            escape(s)
        );
    }

    fn line(&mut self, y: f32, width: f32, color: &str) {
        let _ = write!(
            self.body,
            r#"<line x1="{MARGIN}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="{width}"/>"#,
            WIDTH - MARGIN
        );
    }

    /// Room for `height` more points on this page, or a new page.
    fn need(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM {
            self.break_page();
            true
        } else {
            false
        }
    }

    fn break_page(&mut self) {
        self.done.push(std::mem::take(&mut self.body));
        self.y = MARGIN;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.body.is_empty() || self.done.is_empty() {
            self.done.push(std::mem::take(&mut self.body));
        }
        self.done
    }
}

/// A chart's SVG as a group scaled to `width`, placed at the current position.
fn place_chart(pages: &mut Pages, svg: &str, width: f32) -> Result<()> {
    let attr = |name: &str| -> Option<f32> {
        let open = &svg[..svg.find('>')?];
        let at = open.find(&format!(" {name}=\""))? + name.len() + 3;
        open[at..].split('"').next()?.parse().ok()
    };
    let (w, h) = (attr("width").unwrap_or(720.0), attr("height").unwrap_or(320.0));
    let inner_start = svg.find('>').ok_or_else(|| anyhow!("chart is not SVG"))? + 1;
    let inner_end = svg.rfind("</svg>").ok_or_else(|| anyhow!("chart is not SVG"))?;
    let scale = width / w;
    pages.need(h * scale + 10.0);
    let _ = write!(
        pages.body,
        r#"<g transform="translate({MARGIN} {:.1}) scale({scale:.4})">{}</g>"#,
        pages.y,
        &svg[inner_start..inner_end]
    );
    pages.y += h * scale + 10.0;
    Ok(())
}

fn table_header(pages: &mut Pages, table: &Table, col_width: f32) {
    pages.y += ROW;
    pages.text(MARGIN, pages.y, style(8.0, true, false, MUTED), &table.label_header);
    for (c, name) in table.columns.iter().enumerate() {
        let x = MARGIN + LABEL_WIDTH + col_width * (c as f32 + 1.0);
        pages.text(x - 2.0, pages.y, style(8.0, true, true, MUTED), &fit(name, col_width, 8.0));
    }
    pages.y += 4.0;
    pages.line(pages.y, 0.5, "#c9d1dc");
}

fn place_table(pages: &mut Pages, table: &Table, currency: Currency) {
    let cols = table.columns.len().max(1) as f32;
    let col_width = (WIDTH - 2.0 * MARGIN - LABEL_WIDTH) / cols;
    pages.need(3.0 * ROW + 24.0);
    pages.y += 18.0;
    pages.text(MARGIN, pages.y, style(12.0, true, false, INK), &table.name);
    table_header(pages, table, col_width);
    for r in &table.rows {
        if pages.need(ROW) {
            pages.y += 4.0;
            pages.text(MARGIN, pages.y + 8.0, style(10.0, true, false, INK), &format!("{} (continued)", table.name));
            pages.y += 8.0;
            table_header(pages, table, col_width);
        }
        pages.y += ROW;
        let bold = r.style != RowStyle::Line;
        let indent = f32::from(r.depth) * 10.0;
        pages.text(MARGIN + indent, pages.y, style(8.5, bold, false, INK), &fit(&r.label, LABEL_WIDTH - indent, 8.5));
        for (c, cell) in r.cells.iter().enumerate() {
            let x = MARGIN + LABEL_WIDTH + col_width * (c as f32 + 1.0);
            let negative = matches!(cell, Cell::Money(m) if m.is_sign_negative() && !m.is_zero());
            let fill = if negative { RED } else { INK };
            pages.text(x - 2.0, pages.y, style(8.5, bold, true, fill), &cell_text(cell, currency));
        }
        if r.style == RowStyle::Total {
            pages.line(pages.y - ROW + 3.5, 0.8, "#1c2430");
        }
    }
}

/// The report as a PDF document; `charts` are the report's charts as SVG.
pub fn pdf(report: &Report, charts: &[String], generated: &str) -> Result<Vec<u8>> {
    let currency = Currency::parse(&report.currency).unwrap_or(Currency::USD);
    let mut pages = Pages::new();
    pages.y += 16.0;
    pages.text(MARGIN, pages.y, style(18.0, true, false, INK), &report.title);
    pages.y += 16.0;
    pages.text(MARGIN, pages.y, style(10.0, false, false, MUTED), &report.subtitle);
    pages.y += 12.0;
    pages.text(
        MARGIN,
        pages.y,
        style(8.0, false, false, MUTED),
        &format!("{generated} · amounts in {}", currency.as_str()),
    );
    pages.y += 12.0;
    for svg in charts {
        place_chart(&mut pages, svg, WIDTH - 2.0 * MARGIN)?;
    }
    for table in &report.tables {
        place_table(&mut pages, table, currency);
    }
    let bodies = pages.finish();
    let total = bodies.len();

    let mut options = svg2pdf::usvg::Options::default();
    options.fontdb_mut().load_font_data(app::charts::FONT_DATA.to_vec());
    options.font_family = app::charts::FONT_FAMILY.to_string();

    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::new();
    let mut chunks = Vec::new();
    for (n, body) in bodies.iter().enumerate() {
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">{body}"#
        );
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-family="Roboto" font-size="8" text-anchor="end" fill="#5f6b7a">Page {} of {total}</text></svg>"##,
            WIDTH - MARGIN,
            HEIGHT - 25.0,
            n + 1
        );
        let tree = svg2pdf::usvg::Tree::from_str(&svg, &options).context("laying out a PDF page")?;
        let (chunk, svg_ref) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| anyhow!("drawing a PDF page: {e}"))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let svg_ref = *map.get(&svg_ref).ok_or_else(|| anyhow!("page graphic lost"))?;
        let (page_id, content_id) = (alloc.bump(), alloc.bump());
        let name = Name(b"P1");
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(name, svg_ref);
        page.finish();
        let mut content = Content::new();
        content.transform([WIDTH, 0.0, 0.0, HEIGHT, 0.0, 0.0]).x_object(name);
        pdf.stream(content_id, &content.finish());
        page_ids.push(page_id);
        chunks.push(chunk);
    }
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    for chunk in &chunks {
        pdf.extend(chunk);
    }
    let mut info = pdf.document_info(alloc.bump());
    info.title(pdf_writer::TextStr(&report.title));
    info.producer(pdf_writer::TextStr("Manna"));
    info.finish();
    Ok(pdf.finish())
}
