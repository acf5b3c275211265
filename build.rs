//! Build script of the package that tests the book.
//!
//! 1. Expands mdBook's `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}` and
//!    `{{#title}}` directives in every chapter exactly as mdBook 0.5.4's `links`
//!    preprocessor does, and writes the result to `$OUT_DIR/expanded/<book>/`.
//!    `tests/expansion.rs` proves the result byte-for-byte equal to mdBook's own.
//! 2. Prepares the expanded chapters for skeptic (`$OUT_DIR/skeptic/`): a block whose
//!    info string carries our `skeptic` marker is `ignore`d by `mdbook test` (rustdoc
//!    cannot tell which of several builds of an external crate to link), so here the
//!    marker and the `ignore` are removed and skeptic compiles and runs the block.
//!    A block marked `ignore` alone (a view of a library module, compiled and
//!    tested with the crate) or `compile_fail` is left out of skeptic's tests, and
//!    so is a block marked `needs-<feature>` (a listing that needs MPI or a GPU,
//!    built under its feature and run by that feature's test runner).
//! 3. Generates the skeptic tests (`tests/skeptic.rs` includes them).

use regex::{Captures, Regex};
use std::env;
use std::fs;
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// mdBook stops expanding nested includes at this depth.
const MAX_NESTED_DEPTH: usize = 10;

/// The books to expand: the real one (also tested by skeptic) and a fixture that
/// exercises every corner of the directive syntax.
const BOOKS: &[(&str, &str, bool)] = &[
    ("book", "book", true),
    ("fixture", "tests/expansion-fixture/src", false),
];

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=build.rs");

    let mut skeptic_inputs = Vec::new();
    for &(name, src, tested_by_skeptic) in BOOKS {
        let src = Path::new(src);
        println!(
            "cargo:rerun-if-changed={}",
            src.join("SUMMARY.md").display()
        );
        for chapter in markdown_files(src) {
            println!("cargo:rerun-if-changed={}", chapter.display());
            let relative = chapter
                .strip_prefix(src)
                .expect("chapter is under its book");
            let text = read(&chapter);
            let mut included = Vec::new();
            let base = chapter.parent().expect("a chapter has a folder");
            let expanded = expand(&text, base, 0, &mut included)
                .unwrap_or_else(|e| panic!("{}: {e}", chapter.display()));
            for file in included {
                println!("cargo:rerun-if-changed={}", file.display());
            }
            write(
                &out_dir.join("expanded").join(name).join(relative),
                &expanded,
            );
            if tested_by_skeptic {
                // Skeptic names its tests after the file: `ch01_01_simd_sect_...`.
                let flat_name = relative.to_string_lossy().replace(['/', '\\'], "_");
                let for_skeptic = out_dir.join("skeptic").join(flat_name);
                write(&for_skeptic, &unmark_skeptic_blocks(&expanded));
                skeptic_inputs.push(for_skeptic);
            }
        }
    }
    skeptic_inputs.sort();
    skeptic::generate_doc_tests(&skeptic_inputs);
}

/// The chapters of a book: the files its SUMMARY.md links to, as mdBook sees them.
fn markdown_files(src: &Path) -> Vec<PathBuf> {
    static LINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\]\(([^)\s]+\.md)\)").expect("valid regex"));
    let summary = read(&src.join("SUMMARY.md"));
    let mut chapters: Vec<PathBuf> = LINK
        .captures_iter(&summary)
        .map(|link| src.join(&link[1]))
        .collect();
    chapters.sort();
    chapters.dedup();
    chapters
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("output has a folder")).expect("create output dir");
    // Rewriting an unchanged file would make cargo rebuild the skeptic tests.
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

// ---------------------------------------------------------------------------
// The directive expander. Same grammar and same output as mdBook 0.5.4.

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \\\{\{\#.*\}\}          # an escaped directive: the backslash is dropped
        |
        \{\{\s*                 # opening braces and optional spaces
        \#([a-zA-Z0-9_]+)       # directive name
        \s+                     # separating white space
        ([^}]+)                 # path, range or anchor, and properties
        \}\}",
    )
    .expect("valid regex")
});
static ANCHOR_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR:\s*(?P<anchor_name>[\w_-]+)").expect("valid regex"));
static ANCHOR_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR_END:\s*(?P<anchor_name>[\w_-]+)").expect("valid regex"));

/// Which lines of an included file to take.
#[derive(Clone, Debug)]
enum Selection {
    /// Zero-based, end-exclusive line numbers.
    Lines(Bound<usize>, Bound<usize>),
    Anchor(String),
}

impl RangeBounds<usize> for Selection {
    fn start_bound(&self) -> Bound<&usize> {
        match self {
            Selection::Lines(start, _) => start.as_ref(),
            Selection::Anchor(_) => Bound::Unbounded,
        }
    }
    fn end_bound(&self) -> Bound<&usize> {
        match self {
            Selection::Lines(_, end) => end.as_ref(),
            Selection::Anchor(_) => Bound::Unbounded,
        }
    }
}

enum Directive<'a> {
    Escaped(&'a str),
    Include(&'a str, Selection),
    RustdocInclude(&'a str, Selection),
    Playground(&'a str, Vec<&'a str>),
    Title,
}

impl<'a> Directive<'a> {
    fn parse(captures: &Captures<'a>) -> Option<Self> {
        let whole = captures.get(0)?.as_str();
        let (Some(kind), Some(rest)) = (captures.get(1), captures.get(2)) else {
            return whole
                .starts_with('\\')
                .then(|| Directive::Escaped(&whole[1..]));
        };
        if kind.as_str() == "title" {
            return Some(Directive::Title);
        }
        let mut words = rest.as_str().split_whitespace();
        let target = words.next()?;
        let (path, selection) = match target.split_once(':') {
            Some((path, selection)) => (path, parse_selection(Some(selection))),
            None => (target, parse_selection(None)),
        };
        match kind.as_str() {
            "include" => Some(Directive::Include(path, selection)),
            "rustdoc_include" => Some(Directive::RustdocInclude(path, selection)),
            // `playpen` is the old name; mdBook still accepts it.
            "playground" | "playpen" => Some(Directive::Playground(target, words.collect())),
            _ => None,
        }
    }

    /// The file this directive includes, if any: nested directives in it resolve
    /// relative to its folder.
    fn included_file(&self, base: &Path) -> Option<PathBuf> {
        match self {
            Directive::Include(path, _)
            | Directive::RustdocInclude(path, _)
            | Directive::Playground(path, _) => Some(base.join(path)),
            Directive::Escaped(_) | Directive::Title => None,
        }
    }

    fn render(&self, base: &Path) -> Result<String, String> {
        let load = |path: &str| {
            let file = base.join(path);
            fs::read_to_string(&file).map_err(|e| format!("cannot include {}: {e}", file.display()))
        };
        Ok(match self {
            Directive::Escaped(text) => (*text).to_owned(),
            Directive::Title => String::new(),
            Directive::Include(path, Selection::Anchor(anchor)) => {
                anchored_lines(&load(path)?, anchor)
            }
            Directive::Include(path, lines) => line_range(&load(path)?, lines),
            Directive::RustdocInclude(path, Selection::Anchor(anchor)) => {
                rustdoc_anchored_lines(&load(path)?, anchor)
            }
            Directive::RustdocInclude(path, lines) => rustdoc_line_range(&load(path)?, lines),
            Directive::Playground(path, properties) => {
                let mut source = load(path)?;
                if !source.ends_with('\n') {
                    source.push('\n');
                }
                let separator = if properties.is_empty() { "" } else { "," };
                format!("```rust{separator}{}\n{source}```\n", properties.join(","))
            }
        })
    }
}

/// `N` is line N alone, `N:M` lines N to M, `N:` from N on, `:M` up to M, an
/// empty or unparsable selection the whole file, and a non-number an anchor.
fn parse_selection(selection: Option<&str>) -> Selection {
    let mut parts = selection.unwrap_or("").splitn(3, ':');
    let first = parts.next();
    let start = match first {
        Some(text) if text.parse::<usize>().is_ok() => {
            Some(text.parse::<usize>().expect("checked").saturating_sub(1))
        }
        Some("") | None => None,
        Some(anchor) => return Selection::Anchor(anchor.to_owned()),
    };
    let end = parts.next().map(str::parse::<usize>);
    use Bound::{Excluded, Included, Unbounded};
    let (from, to) = match (start, end) {
        (Some(start), Some(Ok(end))) => (Included(start), Excluded(end)),
        (Some(start), Some(Err(_))) => (Included(start), Unbounded),
        (Some(start), None) => (Included(start), Excluded(start + 1)),
        (None, Some(Ok(end))) => (Unbounded, Excluded(end)),
        (None, Some(Err(_))) | (None, None) => (Unbounded, Unbounded),
    };
    Selection::Lines(from, to)
}

fn line_range(text: &str, range: &Selection) -> String {
    let start = match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n + 1,
        Bound::Unbounded => 0,
    };
    let lines = text.lines().skip(start);
    let taken: Vec<&str> = match range.end_bound() {
        Bound::Excluded(&end) => lines.take(end.saturating_sub(start)).collect(),
        Bound::Included(&end) => lines.take((end + 1).saturating_sub(start)).collect(),
        Bound::Unbounded => lines.collect(),
    };
    taken.join("\n")
}

/// The lines between the first `ANCHOR: name` and its `ANCHOR_END`, with every
/// other anchor comment inside dropped.
fn anchored_lines(text: &str, anchor: &str) -> String {
    let mut kept = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if inside {
            match ANCHOR_END.captures(line) {
                Some(end) if &end["anchor_name"] == anchor => break,
                Some(_) => {}
                None if ANCHOR_START.is_match(line) => {}
                None => kept.push(line),
            }
        } else if ANCHOR_START
            .captures(line)
            .is_some_and(|start| &start["anchor_name"] == anchor)
        {
            inside = true;
        }
    }
    kept.join("\n")
}

/// The whole file, with the lines outside the range hidden behind `# `.
fn rustdoc_line_range(text: &str, range: &Selection) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.lines().enumerate() {
        if !range.contains(&index) {
            out.push_str("# ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.pop();
    out
}

/// The whole file, the anchored lines shown, the rest hidden behind `# `, and
/// every anchor comment dropped.
fn rustdoc_anchored_lines(text: &str, anchor: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for line in text.lines() {
        if inside {
            match ANCHOR_END.captures(line) {
                Some(end) if &end["anchor_name"] == anchor => inside = false,
                Some(_) => {}
                None if ANCHOR_START.is_match(line) => {}
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        } else if let Some(start) = ANCHOR_START.captures(line) {
            // Every anchor comment outside the shown part is dropped, not hidden.
            inside = &start["anchor_name"] == anchor;
        } else if !ANCHOR_END.is_match(line) {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.pop();
    out
}

/// Expands every directive in `text`, whose relative paths start at `base`, and
/// recursively the directives in what they include. Records each included file.
fn expand(
    text: &str,
    base: &Path,
    depth: usize,
    included: &mut Vec<PathBuf>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for captures in DIRECTIVE.captures_iter(text) {
        let Some(directive) = Directive::parse(&captures) else {
            continue; // Not ours (a quiz, say): left for another preprocessor.
        };
        let whole = captures.get(0).expect("a match has group 0");
        out.push_str(&text[copied_up_to..whole.start()]);
        let rendered = directive.render(base)?;
        if depth >= MAX_NESTED_DEPTH {
            return Err(format!("includes nested deeper than {MAX_NESTED_DEPTH}"));
        }
        match directive.included_file(base) {
            Some(file) => {
                let folder = file.parent().expect("an included file has a folder");
                out.push_str(&expand(&rendered, folder, depth + 1, included)?);
                included.push(file);
            }
            None => out.push_str(&rendered),
        }
        copied_up_to = whole.end();
    }
    out.push_str(&text[copied_up_to..]);
    Ok(out)
}

// ---------------------------------------------------------------------------
// Preparing the expanded chapters for skeptic.

/// The marker that hands a block from `mdbook test` to skeptic.
const SKEPTIC_MARKER: &str = "skeptic";

/// `needs-mpi` on a block: a listing of a feature's, run by the feature's own
/// test runner rather than by skeptic.
const FEATURE_MARKER: &str = "needs-";

/// Rewrites opening fences for skeptic. A block marked `skeptic` loses the marker
/// and `ignore`, so skeptic compiles and runs it; a block `ignore`d without the
/// marker, marked `compile_fail`, or marked `needs-<feature>` becomes `text`, so
/// skeptic leaves it out.
fn unmark_skeptic_blocks(chapter: &str) -> String {
    let mut out = String::with_capacity(chapter.len());
    let mut fence: Option<String> = None;
    for line in chapter.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        match &fence {
            None if ticks >= 3 => {
                fence = Some("`".repeat(ticks));
                let tokens: Vec<&str> = trimmed[ticks..]
                    .trim_end()
                    .split(',')
                    .map(str::trim)
                    .collect();
                let needs_feature = tokens.iter().any(|t| t.starts_with(FEATURE_MARKER));
                let info = if needs_feature {
                    // A listing that needs a system component (MPI, a GPU...): the
                    // block is its whole example file, which cargo builds under the
                    // feature and the feature's own runner runs (under mpiexec, on
                    // a device). Skeptic could only compile it again, and cannot see
                    // a feature's optional crates.
                    "text".to_owned()
                } else if tokens.contains(&SKEPTIC_MARKER) {
                    let kept: Vec<&str> = tokens
                        .into_iter()
                        .filter(|t| *t != SKEPTIC_MARKER && *t != "ignore")
                        .collect();
                    kept.join(",")
                } else if tokens.contains(&"ignore") || tokens.contains(&"compile_fail") {
                    // Shown, not run here: a library module the crate compiles and
                    // tests itself, or a program that must not compile (rustdoc
                    // checks that, and code/tests/listings.rs checks the error).
                    "text".to_owned()
                } else {
                    out.push_str(line);
                    continue;
                };
                let indent = &line[..line.len() - trimmed.len()];
                out.push_str(&format!("{indent}{}{info}\n", "`".repeat(ticks)));
                continue;
            }
            Some(open) if trimmed.trim_end() == open.as_str() => fence = None,
            _ => {}
        }
        out.push_str(line);
    }
    out
}
