//! The `kafkasim` command line: each subcommand's logic lives here so that `main.rs` only parses and dispatches.

pub mod assign;
pub mod check;
pub mod explore;
pub mod groups;
pub mod partition;
pub mod run;
pub mod serve;

use std::path::{Path, PathBuf};

/// An error that ends a subcommand: a message for the user and the exit code (2 = bad input).
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit_code: i32,
}

impl CliError {
    /// Bad input from the user: exit code 2.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self { message: message.into(), exit_code: 2 }
    }
}

/// A scenario argument: a path to a file, or the name of a file in `scenarios/` (with or without `.toml`).
pub fn resolve_scenario(arg: &str) -> Result<PathBuf, CliError> {
    let direct = Path::new(arg);
    if direct.is_file() {
        return Ok(direct.to_path_buf());
    }
    let named = Path::new("scenarios").join(if arg.ends_with(".toml") {
        arg.to_string()
    } else {
        format!("{arg}.toml")
    });
    if named.is_file() {
        return Ok(named);
    }
    Err(CliError::bad_input(format!(
        "no scenario `{arg}`: not a file, and not in scenarios/ (run `ls scenarios/` to see the names)"
    )))
}
