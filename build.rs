//! Build script of the package that tests the book.
//!
//! 1. Expands mdBook's `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}` and
//!    `{{#title}}` directives in every chapter exactly as mdBook 0.5.4's `links`
//!    preprocessor does, and writes the result to `$OUT_DIR/expanded/<book>/`.
//!    `tests/expansion.rs` proves the result byte-for-byte equal to mdBook's own.
//! 2. Checks what a reader would see, and stops the build naming the page and
//!    the directive or block at fault: an include of a missing file or anchor
//!    (mdBook shows nothing there and carries on), a Rust block that shows no
//!    line or more than 60, one that starts or ends inside a `{ }` block, and a
//!    block whose Run button would send crates the Rust Playground lacks.
//! 3. Prepares the expanded chapters for skeptic (`$OUT_DIR/skeptic/`): a block
//!    marked `needs-<feature>` (a listing that needs MPI, Redis or a GPU, run by
//!    that feature's own test runner) or `compile_fail` (checked, with its
//!    error, by code/tests/listings.rs) becomes `text`; skeptic compiles and
//!    runs every other Rust block as rustdoc would, against this package's
//!    dependencies only.
//! 4. Generates the skeptic tests (`tests/skeptic.rs` includes them).

use regex::{Captures, Regex};
use std::env;
use std::fs;
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// mdBook stops expanding nested includes at this depth.
const MAX_NESTED_DEPTH: usize = 10;

/// The books to expand: the real one (checked, and tested by skeptic) and a
/// fixture that exercises every corner of the directive syntax, mistakes included.
const BOOKS: &[(&str, &str, bool)] = &[
    ("book", "book", true),
    ("fixture", "tests/expansion-fixture/src", false),
];

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={PLAYGROUND_CRATES}");
    let playground_crates = read_playground_crates();
    let mut problems = Vec::new();
    check_book_deps(&mut problems);

    let mut skeptic_inputs = Vec::new();
    for &(name, src, strict) in BOOKS {
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
            let mut missing_anchors = Vec::new();
            let base = chapter.parent().expect("a chapter has a folder");
            let expanded = expand(&text, base, 0, &mut included, &mut missing_anchors)
                .unwrap_or_else(|e| panic!("{}: {e}", chapter.display()));
            for file in included {
                println!("cargo:rerun-if-changed={}", file.display());
            }
            if strict {
                let page = chapter.display();
                problems.extend(missing_anchors.iter().map(|m| format!("{page}: {m}")));
                problems.extend(
                    check_blocks(&text, &expanded, &playground_crates)
                        .into_iter()
                        .map(|p| format!("{page}: {p}")),
                );
            }
            write(
                &out_dir.join("expanded").join(name).join(relative),
                &expanded,
            );
            if strict {
                // Skeptic names its tests after the file: `ch01_01_simd_sect_...`.
                let flat_name = relative.to_string_lossy().replace(['/', '\\'], "_");
                let for_skeptic = out_dir.join("skeptic").join(flat_name);
                write(&for_skeptic, &unmark_skeptic_blocks(&expanded));
                skeptic_inputs.push(for_skeptic);
            }
        }
    }
    if !problems.is_empty() {
        eprintln!(
            "error: the book has {} problem(s) a reader would see:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
        std::process::exit(1);
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

    /// The anchor this directive names, if the file it includes has no such anchor.
    fn missing_anchor(&self, base: &Path) -> Option<&str> {
        let (Directive::Include(path, Selection::Anchor(anchor))
        | Directive::RustdocInclude(path, Selection::Anchor(anchor))) = self
        else {
            return None;
        };
        let text = fs::read_to_string(base.join(path)).ok()?;
        let found = text.lines().any(|line| {
            ANCHOR_START
                .captures(line)
                .is_some_and(|start| &start["anchor_name"] == anchor)
        });
        (!found).then_some(anchor.as_str())
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
    missing_anchors: &mut Vec<String>,
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
        if let Some(anchor) = directive.missing_anchor(base) {
            missing_anchors.push(format!(
                "`{}` names anchor '{anchor}', which the file does not have (mdBook would show nothing)",
                whole.as_str()
            ));
        }
        if depth >= MAX_NESTED_DEPTH {
            return Err(format!("includes nested deeper than {MAX_NESTED_DEPTH}"));
        }
        match directive.included_file(base) {
            Some(file) => {
                let folder = file.parent().expect("an included file has a folder");
                out.push_str(&expand(
                    &rendered,
                    folder,
                    depth + 1,
                    included,
                    missing_anchors,
                )?);
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

/// `needs-mpi` on a block: a listing of a feature's, run by the feature's own
/// test runner rather than by skeptic or `mdbook test` (the block is `ignore`d).
const FEATURE_MARKER: &str = "needs-";

/// Rewrites opening fences for skeptic: a block marked `needs-<feature>` or
/// `compile_fail` becomes `text`, which skeptic leaves out; so does a `no_run`
/// block whose program, hidden lines included, an earlier block of the page
/// already is (the pages show one listing in several parts, each part a view
/// of the same file: compiling it again would prove nothing new). Every other
/// block keeps its info string, and skeptic treats it as rustdoc would
/// (`ignore`, `no_run`, `should_panic`).
fn unmark_skeptic_blocks(chapter: &str) -> String {
    let programs: Vec<String> = fenced_blocks(chapter)
        .iter()
        .map(|block| block.code.iter().map(|line| unhidden(line)).collect())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut block_index = 0;
    let mut out = String::with_capacity(chapter.len());
    let mut fence: Option<String> = None;
    for line in chapter.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        match &fence {
            None if ticks >= 3 => {
                fence = Some("`".repeat(ticks));
                let tokens = info_tokens(&trimmed[ticks..]);
                let program = &programs[block_index];
                block_index += 1;
                let repeated = !seen.insert(program.clone()) && tokens.contains(&"no_run");
                // A listing that needs a system component (MPI, a GPU...) is
                // built under its feature and run by that feature's runner (under
                // mpiexec, on a device, next to Redis). A program that must not
                // compile is checked with its error by code/tests/listings.rs.
                if tokens.iter().any(|t| t.starts_with(FEATURE_MARKER))
                    || tokens.contains(&"compile_fail")
                    || repeated
                {
                    let indent = &line[..line.len() - trimmed.len()];
                    out.push_str(&format!("{indent}{}text\n", "`".repeat(ticks)));
                    continue;
                }
            }
            Some(open) if trimmed.trim_end() == open.as_str() => fence = None,
            _ => {}
        }
        out.push_str(line);
    }
    out
}

/// The comma-separated words of a fence's info string: `rust,no_run` gives
/// `["rust", "no_run"]`.
fn info_tokens(info: &str) -> Vec<&str> {
    info.trim()
        .split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------
// What a reader sees: the checks on every block of the real book.

/// The most lines a block may show; longer code is split into anchored parts
/// with prose between them.
const MAX_SHOWN_LINES: usize = 60;

/// The crates on the Rust Playground that the book's blocks may name, one per
/// line; the browser test answers the playground's crate-list request with it.
const PLAYGROUND_CRATES: &str = "tests/browser/playground-crates.txt";

fn read_playground_crates() -> Vec<String> {
    read(Path::new(PLAYGROUND_CRATES))
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One fenced code block of an expanded chapter.
struct Block<'a> {
    /// Line number of the opening fence, from 1.
    line: usize,
    info: Vec<&'a str>,
    code: Vec<&'a str>,
}

fn fenced_blocks(chapter: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (index, line) in chapter.lines().enumerate() {
        let trimmed = line.trim_start();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        match open.as_mut() {
            None if ticks >= 3 => {
                let block = Block {
                    line: index + 1,
                    info: info_tokens(&trimmed[ticks..]),
                    code: Vec::new(),
                };
                open = Some(("`".repeat(ticks), block));
            }
            None => {}
            Some((fence, _)) if trimmed.trim_end() == fence.as_str() => {
                blocks.push(open.take().expect("a block is open").1);
            }
            Some((_, block)) => block.code.push(line),
        }
    }
    blocks
}

/// rustdoc and mdBook hide a line of a Rust block that starts with `# ` (after
/// indentation) or is a lone `#`.
fn is_hidden(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed == "#" || trimmed.starts_with("# ")
}

/// A line of a Rust block as the compiler sees it (hidden or not), newline included.
fn unhidden(line: &str) -> String {
    let trimmed = line.trim_start();
    let code = match trimmed.strip_prefix("# ") {
        Some(_) if line.starts_with("# ") => &line[2..],
        Some(rest) => rest,
        None if trimmed == "#" => "",
        None => line,
    };
    format!("{code}\n")
}

/// The problems of a chapter's Rust blocks, each naming the block by its line
/// in the page as written (`source`) and the directive that fills it.
fn check_blocks(source: &str, expanded: &str, playground_crates: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let written = fenced_blocks(source);
    let blocks = fenced_blocks(expanded);
    // Includes in this book sit inside fences, so the blocks pair up one to one.
    let paired = written.len() == blocks.len();
    for (index, block) in blocks.iter().enumerate() {
        if block.info.first().is_none_or(|&lang| lang != "rust") {
            continue;
        }
        let at = match written.get(index).filter(|_| paired) {
            Some(page_block) => format!(
                "the Rust block at line {} ({})",
                page_block.line,
                page_block.code.join(" ").trim()
            ),
            None => format!("the Rust block at line {} of the expanded page", block.line),
        };
        let shown: Vec<&str> = block
            .code
            .iter()
            .copied()
            .filter(|line| !is_hidden(line))
            .collect();
        if shown.iter().all(|line| line.trim().is_empty()) {
            problems.push(format!(
                "{at} shows no line (an anchor that encloses nothing?)"
            ));
            continue;
        }
        if shown.len() > MAX_SHOWN_LINES {
            problems.push(format!(
                "{at} shows {} lines; at most {MAX_SHOWN_LINES}: split it into anchored parts",
                shown.len()
            ));
        }
        if let Err(why) = check_braces(&shown) {
            problems.push(format!("{at} {why}"));
        }
        // mdBook gives a Rust block a Run button unless it is `ignore`d
        // (without `mdbook-runnable`) or `noplayground`; its script then hides
        // the button on a `no_run` block and on one whose `extern crate` lines
        // name a crate the playground lacks.
        let runnable = !block.info.contains(&"noplayground")
            && !block.info.contains(&"no_run")
            && (!block.info.contains(&"ignore") || block.info.contains(&"mdbook-runnable"));
        if runnable {
            for name in extern_crates(&block.code) {
                if !playground_crates.contains(&name) {
                    problems.push(format!(
                        "{at} has a Run button, but the playground has no crate `{name}`: \
                         mark it `noplayground` (or add the crate to {PLAYGROUND_CRATES} if the playground has it)"
                    ));
                }
            }
        }
    }
    problems
}

/// The crates a block names with `extern crate NAME;` (hidden or not).
fn extern_crates(code: &[&str]) -> Vec<String> {
    static EXTERN_CRATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:#\s+)?extern\s+crate\s+([A-Za-z0-9_]+)").expect("valid regex")
    });
    code.iter()
        .filter_map(|line| EXTERN_CRATE.captures(line))
        .map(|c| c[1].to_owned())
        .collect()
}

/// The shown lines of a block must open and close their own `{ }` blocks: a
/// snippet that starts or ends inside one shows a stray brace. Braces in
/// comments (line and block), strings (raw ones too, over several lines) and
/// character literals do not count.
fn check_braces(lines: &[&str]) -> Result<(), String> {
    let text: Vec<char> = lines.join("\n").chars().collect();
    let at = |i: usize| text.get(i).copied();
    let line_of = |i: usize| text[..i].iter().filter(|&&c| c == '\n').count() + 1;
    let mut depth: i64 = 0;
    let mut i = 0;
    while i < text.len() {
        match (text[i], at(i + 1)) {
            ('/', Some('/')) => {
                while i < text.len() && text[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                let mut nested = 1; // Rust's block comments nest
                i += 2;
                while i < text.len() && nested > 0 {
                    match (text[i], at(i + 1)) {
                        ('/', Some('*')) => (nested, i) = (nested + 1, i + 1),
                        ('*', Some('/')) => (nested, i) = (nested - 1, i + 1),
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            ('r', Some('#' | '"'))
                if i == 0 || !(text[i - 1].is_alphanumeric() || text[i - 1] == '_') =>
            {
                // r"..." or r#"..."#: no escapes, ends at a quote and as many #.
                let hashes = text[i + 1..].iter().take_while(|&&c| c == '#').count();
                if at(i + 1 + hashes) == Some('"') {
                    i += hashes + 2;
                    while i < text.len()
                        && !(text[i] == '"'
                            && text[i + 1..]
                                .iter()
                                .take(hashes)
                                .filter(|&&c| c == '#')
                                .count()
                                == hashes)
                    {
                        i += 1;
                    }
                    i += hashes;
                }
            }
            ('"', _) => {
                i += 1;
                while i < text.len() && text[i] != '"' {
                    i += if text[i] == '\\' { 2 } else { 1 };
                }
            }
            // 'x' or '\n' is a character; 'a without a closing quote, a lifetime.
            ('\'', _) if at(i + 2) == Some('\'') => i += 2,
            ('\'', Some('\\')) => {
                i += 2;
                while i < text.len() && text[i] != '\'' {
                    i += 1;
                }
            }
            ('{', _) => depth += 1,
            ('}', _) => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!(
                        "starts inside a block: shown line {} closes a brace it never opened",
                        line_of(i)
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    match depth {
        0 => Ok(()),
        open => Err(format!(
            "ends inside a block: {open} brace(s) opened and never closed"
        )),
    }
}

/// skeptic links the blocks against the root package's dependencies and
/// `mdbook test` against tests/book-deps' (a build of their own, one rlib per
/// crate): both must offer the same crates, or a block passes one and fails the other.
fn check_book_deps(problems: &mut Vec<String>) {
    let names = |manifest: &str| -> Vec<String> {
        println!("cargo:rerun-if-changed={manifest}");
        let text = read(Path::new(manifest));
        let section = text
            .split("\n[dependencies]\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{manifest} has no [dependencies]"));
        let mut names: Vec<String> = section
            .lines()
            .take_while(|line| !line.starts_with('['))
            .filter_map(|line| line.split(['.', '=', ' ']).next())
            .filter(|name| !name.is_empty() && !name.starts_with('#'))
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    };
    let (ours, book_deps) = (names("Cargo.toml"), names("tests/book-deps/Cargo.toml"));
    if ours != book_deps {
        problems.push(format!(
            "Cargo.toml's [dependencies] {ours:?} differ from tests/book-deps/Cargo.toml's {book_deps:?}"
        ));
    }
}
