//! The options of every listing, probed without running the listing: every
//! number must have a range (so no value can panic, overflow or run for
//! hours), the range's ends must be accepted and the values just past them
//! refused, and a refusal is one `error:` line and exit status 2.
//!
//! Each probe passes the option and then `--help`: clap refuses a bad value
//! before it honours `--help`, so a refused value is one `error:` line and
//! exit status 2, and an accepted one prints the help and exits 0. Either way
//! the listing exits at once without running.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The listings built in the target folder (those that need CUDA are not,
/// without the driver).
fn built_listings() -> Vec<(String, PathBuf)> {
    let examples = support::workspace_root().join("code/examples");
    let mut names: Vec<String> = std::fs::read_dir(&examples)
        .expect("code/examples")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "rs") || path.join("main.rs").exists()
        })
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let profile = std::env::current_exe()
        .expect("test binary")
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_owned();
    names
        .into_iter()
        .map(|name| {
            let binary = profile.join(&name);
            (name, binary)
        })
        .filter(|(_, binary)| binary.exists())
        .collect()
}

/// Probes `args`: `Ok(())` if the listing accepts them, `Err(its one error
/// line)` if it refuses them.
fn probe(name: &str, binary: &Path, args: &[&str]) -> Result<(), String> {
    let mut command = Command::new(binary);
    command.args(args).arg("--help");
    let run = support::run_with_timeout(command, support::TIMEOUT);
    if run.success() {
        return Ok(());
    }
    support::expect_error(&format!("{name} {args:?}"), &run, 2, "");
    Err(run.stderr.trim().to_owned())
}

/// `--name <VALUE>` options from the listing's `--help`.
fn options(name: &str, binary: &Path) -> Vec<String> {
    let mut command = Command::new(binary);
    command.arg("--help");
    let run = support::expect_success(
        &format!("{name} --help"),
        support::run_with_timeout(command, support::TIMEOUT),
    );
    run.stdout
        .lines()
        .filter_map(|line| {
            let option = line.trim_start().strip_prefix("--")?;
            let (option, rest) = option.split_once(' ')?;
            rest.starts_with('<').then(|| format!("--{option}"))
        })
        .collect()
}

/// `A..=B` from clap's "... is not in A..=B", or from a listing's own
/// parser's "... from A to B ...".
fn range_in(error: &str) -> Option<(i128, i128)> {
    if let Some(range) = error.split("is not in ").nth(1) {
        let (low, high) = range.trim().split_once("..=")?;
        return Some((low.parse().ok()?, high.parse().ok()?));
    }
    let range = error.split(" from ").nth(1)?;
    let mut words = range.split_whitespace();
    let low = words.next()?.parse().ok()?;
    let high = words
        .nth(1)?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some((low, high))
}

/// Options whose every value costs the same, so that the type is their range.
const ANY_VALUE: &[(&str, &str)] = &[
    // A seed for a pseudo-random sequence.
    ("ch05_03_coroutines", "--seed"),
];

#[test]
fn every_numeric_option_has_a_range_whose_ends_are_exact() {
    let listings = built_listings();
    assert!(
        listings.len() > 40,
        "found {} built listings: build them with scripts/listing-projects",
        listings.len()
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, binary) in &listings {
        for option in options(name, binary) {
            let accepted = |value: &str| probe(name, binary, &[&option, value]).is_ok();
            let numeric = probe(name, binary, &[&option, "not-a-number"])
                .is_err_and(|refusal| refusal.contains("invalid digit"));
            if !numeric {
                continue; // not a number (a name, an address, a choice)
            }
            checked += 1;
            // A value far beyond any sensible limit: refused, and the refusal names the range.
            if ANY_VALUE.contains(&(name.as_str(), option.as_str())) {
                continue;
            }
            let refusal = match probe(name, binary, &[&option, &i64::MAX.to_string()]) {
                Ok(()) => {
                    problems.push(format!("{name} {option}: accepts {}", i64::MAX));
                    continue;
                }
                Err(refusal) => refusal,
            };
            let Some((low, high)) = range_in(&refusal) else {
                problems.push(format!("{name} {option}: no range ({refusal})"));
                continue;
            };
            let (low, high) = (low.to_string(), high.to_string());
            let (below, above) = ((low.parse::<i128>().unwrap() - 1).to_string(), {
                (high.parse::<i128>().unwrap() + 1).to_string()
            });
            for (value, wanted) in [
                (&low, true),
                (&high, true),
                (&below, false),
                (&above, false),
            ] {
                if accepted(value) != wanted {
                    problems.push(format!(
                        "{name} {option} {value}: {} (range {low}..={high})",
                        if wanted { "refused" } else { "accepted" }
                    ));
                }
            }
        }
    }
    println!(
        "{checked} numeric options of {} listings: each has a range, ends exact",
        listings.len()
    );
    assert!(checked > 80, "only {checked} numeric options found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The text of `fn parse_args` in a listing, from its doc comment to its end.
fn parse_args_of(source: &str) -> Option<String> {
    let start = source.find("fn parse_args() -> Args {")?;
    let doc_start = source[..start].rfind("\n\n").map_or(0, |blank| blank + 2);
    let end = start + source[start..].find("\n}\n")? + 3;
    Some(source[doc_start..end].to_owned())
}

/// Every listing reads its options with the same `parse_args` (the MPI
/// listings with their own, the same in each): copies that drift apart would
/// answer bad input in different ways.
#[test]
fn every_listing_parses_its_options_the_same_way() {
    let examples = support::workspace_root().join("code/examples");
    let read = |path: PathBuf| std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let standard =
        parse_args_of(&read(examples.join("ch01_01_simd.rs"))).expect("1.1's parse_args");
    let mpi = parse_args_of(&read(examples.join("ch04_01_hello.rs"))).expect("4.1's parse_args");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&examples)
        .expect("code/examples")
        .map(|entry| entry.expect("an entry").path())
        .map(|path| {
            if path.is_dir() {
                path.join("main.rs")
            } else {
                path
            }
        })
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs") && path.exists())
        .collect();
    files.sort();
    let mut different = Vec::new();
    for file in &files {
        let name = file.strip_prefix(&examples).unwrap().display().to_string();
        let wanted = if name.starts_with("ch04_") {
            &mpi
        } else {
            &standard
        };
        match parse_args_of(&read(file.clone())) {
            Some(found) if &found == wanted => {}
            Some(_) => different.push(format!("{name}: parse_args differs from the book's")),
            None => different.push(format!("{name}: no parse_args")),
        }
    }
    assert!(files.len() > 60, "found {} listings", files.len());
    assert!(different.is_empty(), "{}", different.join("\n"));
}
