//! The Python on the book's pages ("Coming from Python", mostly) is tested
//! like the Rust. Every ```` ```python ```` block is compiled by Python. Then:
//!
//! - a plain `python` block is a whole program that needs only the standard
//!   library and the packages scripts/requirements.txt installs into
//!   target/venv (Celery, mpi4py, NumPy): it runs under the timeout and must
//!   exit 0;
//! - a `python,mpi` block is an MPI program (mpi4py, NumPy): it runs under
//!   `mpiexec -n 4` and must exit 0;
//! - a `python,needs-<package>` block needs a package the set-up does not
//!   install (a GPU's, say): it is compiled only, and the test says so.
//!
//! A block that only includes a file (`{{#include ...}}`) is that file, which
//! its chapter's own tests run (chapter 6's Celery programs).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One Python block of a page.
struct Block {
    page: String,
    line: usize,
    tokens: Vec<String>,
    code: String,
}

impl Block {
    fn name(&self) -> String {
        format!("{}:{}", self.page, self.line)
    }
}

/// The Python blocks of every page of the book (book/code and book/kernels
/// are links to the listings, not pages).
fn python_blocks() -> Vec<Block> {
    let book = support::workspace_root().join("book");
    let mut pages = Vec::new();
    let mut folders = vec![book.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read the book") {
            let path = entry.expect("a book entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_symlink() || name == "quiz" {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
            } else if name.ends_with(".md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    // PYTHON_BLOCKS=ch02/ tests only the pages whose path starts so.
    let only = std::env::var("PYTHON_BLOCKS").unwrap_or_default();
    pages
        .iter()
        .flat_map(|page| blocks_of(page, &book))
        .filter(|block| block.page.starts_with(&only))
        .collect()
}

fn blocks_of(page: &Path, book: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(page).expect("read a page");
    let relative = page
        .strip_prefix(book)
        .unwrap_or(page)
        .display()
        .to_string();
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (number, line) in text.lines().enumerate() {
        match open.as_mut() {
            None => {
                if let Some(info) = line.trim_start().strip_prefix("```python") {
                    open = Some(Block {
                        page: relative.clone(),
                        line: number + 1,
                        tokens: info
                            .split(',')
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        code: String::new(),
                    });
                }
            }
            Some(_) if line.trim() == "```" => blocks.push(open.take().expect("open")),
            Some(block) => {
                block.code.push_str(line);
                block.code.push('\n');
            }
        }
    }
    blocks
}

/// The Python of the set-up's virtual environment (it has mpi4py and NumPy),
/// or the system's.
fn python() -> PathBuf {
    let venv = support::workspace_root().join("target/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A folder in which MPICH's library answers to the name mpi4py's wheel asks
/// for (`libmpi.so.12`; Debian calls it `libmpich.so.12`).
fn mpich_alias_folder() -> Option<PathBuf> {
    let ldconfig = Command::new("ldconfig").arg("-p").output().ok()?;
    let listing = String::from_utf8_lossy(&ldconfig.stdout);
    let library = listing
        .lines()
        .find(|line| line.trim_start().starts_with("libmpich.so.12 "))?
        .rsplit(" => ")
        .next()?
        .trim()
        .to_owned();
    let folder = support::workspace_root().join("target/python-mpi");
    std::fs::create_dir_all(&folder).ok()?;
    let alias = folder.join("libmpi.so.12");
    let _ = std::fs::remove_file(&alias);
    std::os::unix::fs::symlink(library, &alias).ok()?;
    Some(folder)
}

fn write_block(block: &Block, folder: &Path, index: usize) -> PathBuf {
    let file = folder.join(format!("block_{index}.py"));
    std::fs::write(&file, &block.code).expect("write a block");
    file
}

#[test]
fn every_python_block_compiles_and_the_runnable_ones_run() {
    let blocks = python_blocks();
    if std::env::var_os("PYTHON_BLOCKS").is_none() {
        assert!(
            blocks.len() > 30,
            "found only {} Python blocks",
            blocks.len()
        );
    }
    let folder = std::env::temp_dir().join(format!("cookbook-python-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let mpi = mpich_alias_folder();
    let mut failures = Vec::new();
    let (mut ran, mut compiled_only) = (0, Vec::new());

    for (index, block) in blocks.iter().enumerate() {
        if block.code.contains("{{#include") {
            continue; // a whole file, run by its chapter's tests
        }
        let file = write_block(block, &folder, index);
        let mut compile = Command::new(python());
        compile.arg("-m").arg("py_compile").arg(&file);
        let run = support::run_with_timeout(compile, support::TIMEOUT);
        if !run.success() {
            failures.push(format!(
                "{}: does not compile:\n{}",
                block.name(),
                run.stderr
            ));
            continue;
        }
        if let Some(needs) = block.tokens.iter().find(|t| t.starts_with("needs-")) {
            compiled_only.push(format!("{} ({})", block.name(), &needs["needs-".len()..]));
            continue;
        }
        let command = if block.tokens.iter().any(|t| t == "mpi") {
            let Some(libraries) = &mpi else {
                failures.push(format!(
                    "{}: an MPI block, and MPICH is not installed",
                    block.name()
                ));
                continue;
            };
            let mut command = Command::new("mpiexec");
            // `-m mpi4py` aborts the whole job when one rank raises (a failed
            // assert), instead of leaving the other ranks waiting for it.
            command
                .args(["-n", "4", "-genv", "LD_LIBRARY_PATH"])
                .arg(libraries)
                .arg(python())
                .args(["-m", "mpi4py"])
                .arg(&file);
            command
        } else {
            let mut command = Command::new(python());
            command.arg(&file);
            command
        };
        let run = support::run_with_timeout(command, support::TIMEOUT);
        ran += 1;
        if run.timed_out || !run.success() {
            failures.push(format!(
                "{}: {}\nstdout:\n{}\nstderr:\n{}",
                block.name(),
                if run.timed_out {
                    "hung: killed after the timeout".to_owned()
                } else {
                    format!("failed ({:?})", run.status)
                },
                run.stdout,
                run.stderr
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&folder);
    println!(
        "{} Python blocks: {ran} compiled and run, {} compiled only (they need a package the set-up does not install):",
        blocks.len(),
        compiled_only.len()
    );
    for block in &compiled_only {
        println!("  {block}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
