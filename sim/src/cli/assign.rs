//! `kafkasim assign CASE.json`. (Being written.)

use super::CliError;
use std::path::Path;

/// Runs one assignor case file and returns the JSON to print.
pub fn run(_case: &Path) -> Result<String, CliError> {
    Err(CliError::bad_input("kafkasim assign is not implemented yet"))
}
