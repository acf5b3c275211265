//! Command-line options for the listings: `--name value` pairs with defaults.
//!
//! A listing must never answer bad input with a panic and a backtrace: an unknown
//! option, a missing value or one that does not parse prints one line on stderr
//! and exits with status 2.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

/// Exit status for bad input, as most command-line tools use it.
pub const USAGE_ERROR: i32 = 2;

/// Prints `error: <message>` and exits with status 2.
pub fn fail(message: impl Display) -> ! {
    // Under `mpiexec` every rank parses the same arguments and fails the same
    // way; only the first rank says so (MPICH and Open MPI name it differently).
    let rank = std::env::var("PMI_RANK").or_else(|_| std::env::var("OMPI_COMM_WORLD_RANK"));
    if rank.is_err() || rank.as_deref() == Ok("0") {
        eprintln!("error: {message}");
    }
    std::process::exit(USAGE_ERROR)
}

/// The options a listing accepts, each with its default value.
#[derive(Debug, Clone)]
pub struct Options {
    values: HashMap<&'static str, String>,
}

impl Options {
    /// Reads `--name value` pairs from the process arguments.
    pub fn from_env(defaults: &[(&'static str, &str)]) -> Options {
        Options::parse(defaults, std::env::args().skip(1)).unwrap_or_else(|e| fail(e))
    }

    /// Parses `args` against `defaults`; the error is the one line to show.
    pub fn parse(
        defaults: &[(&'static str, &str)],
        args: impl IntoIterator<Item = String>,
    ) -> Result<Options, String> {
        let mut values: HashMap<&'static str, String> = defaults
            .iter()
            .map(|&(name, value)| (name, value.to_owned()))
            .collect();
        let known = || {
            defaults
                .iter()
                .map(|(name, _)| format!("--{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some((name, _)) = arg
                .strip_prefix("--")
                .and_then(|name| defaults.iter().find(|(known, _)| *known == name))
            else {
                return Err(match defaults.is_empty() {
                    true => format!("unexpected argument '{arg}': this listing takes none"),
                    false => format!("unknown option '{arg}' (options: {})", known()),
                });
            };
            let value = args
                .next()
                .ok_or_else(|| format!("option '--{name}' needs a value"))?;
            values.insert(name, value);
        }
        Ok(Options { values })
    }

    /// The value of option `name`, parsed; exits with a one-line error if it does not parse.
    pub fn get<T>(&self, name: &str) -> T
    where
        T: FromStr,
        T::Err: Display,
    {
        self.try_get(name).unwrap_or_else(|e| fail(e))
    }

    /// Like [`Options::get`] for a count that must be at least 1.
    pub fn positive(&self, name: &str) -> usize {
        match self.get::<usize>(name) {
            0 => fail(format_args!("--{name} must be at least 1")),
            n => n,
        }
    }

    /// The value of option `name`, parsed.
    pub fn try_get<T>(&self, name: &str) -> Result<T, String>
    where
        T: FromStr,
        T::Err: Display,
    {
        let raw = self
            .values
            .get(name)
            .unwrap_or_else(|| panic!("the listing never declared option --{name}"));
        raw.parse()
            .map_err(|e| format!("invalid value '{raw}' for --{name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        let defaults = [("threads", "4"), ("size", "1000")];
        Options::parse(&defaults, args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_apply_and_options_override_them() {
        let options = parse(&["--size", "10"]).unwrap();
        assert_eq!(options.try_get::<usize>("threads"), Ok(4));
        assert_eq!(options.try_get::<usize>("size"), Ok(10));
    }

    #[test]
    fn bad_input_is_one_clear_line() {
        assert_eq!(
            parse(&["--cores", "2"]).unwrap_err(),
            "unknown option '--cores' (options: --threads, --size)"
        );
        assert_eq!(
            parse(&["--size"]).unwrap_err(),
            "option '--size' needs a value"
        );
        let options = parse(&["--size", "ten"]).unwrap();
        assert_eq!(
            options.try_get::<usize>("size").unwrap_err(),
            "invalid value 'ten' for --size: invalid digit found in string"
        );
    }
}
