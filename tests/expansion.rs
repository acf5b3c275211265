//! build.rs expands the book's include directives itself (skeptic cannot). This
//! proves the expansion is mdBook's own: mdBook renders each book with its
//! `markdown` renderer, which writes the chapters after its preprocessors ran,
//! and every chapter must equal build.rs's version byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

const BOOKS: &[(&str, &str)] = &[("book", "."), ("fixture", "tests/expansion-fixture")];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Renders the book at `book_root` with mdBook's markdown renderer only: the
/// quiz and mermaid preprocessors are configured for the html renderer alone.
fn render_with_mdbook(book_root: &Path, dest: &Path) {
    let output = Command::new("mdbook")
        .arg("build")
        .arg(book_root)
        .arg("--dest-dir")
        .arg(dest)
        .env("MDBOOK_OUTPUT", r#"{"markdown": {}}"#)
        .output()
        .unwrap_or_else(|e| panic!("cannot run mdbook ({e}): run scripts/setup.sh first"));
    assert!(
        output.status.success(),
        "mdbook build {} failed:\n{}",
        book_root.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The markdown files under `dir`, as paths relative to it, sorted.
fn chapter_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path.strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn build_rs_expands_every_chapter_exactly_as_mdbook_does() {
    let out_dir = Path::new(env!("OUT_DIR"));
    let mut compared = 0;
    for (name, book_root) in BOOKS {
        let dest = out_dir.join("mdbook-markdown").join(name);
        let _ = std::fs::remove_dir_all(&dest);
        render_with_mdbook(&root().join(book_root), &dest);
        let ours = out_dir.join("expanded").join(name);
        let theirs: Vec<PathBuf> = chapter_files(&dest)
            .into_iter()
            .filter(|p| p != Path::new("SUMMARY.md"))
            .collect();
        let mine = chapter_files(&ours);
        assert_eq!(
            mine, theirs,
            "{name}: build.rs and mdBook disagree on the chapters"
        );
        for chapter in &theirs {
            let expected = std::fs::read_to_string(dest.join(chapter)).unwrap();
            let actual = std::fs::read_to_string(ours.join(chapter)).unwrap();
            if expected != actual {
                let line = expected
                    .lines()
                    .zip(actual.lines())
                    .position(|(a, b)| a != b);
                panic!(
                    "{name}/{}: build.rs expanded it differently from mdBook (first difference at line {})\n\
                     --- mdBook\n{expected}\n--- build.rs\n{actual}",
                    chapter.display(),
                    line.map_or("at the end".to_owned(), |l| (l + 1).to_string())
                );
            }
            compared += 1;
        }
    }
    println!("{compared} chapters expanded identically");
}
