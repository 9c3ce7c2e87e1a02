//! The `kafkasim` command line: each subcommand's logic lives here so that `main.rs` only parses and dispatches.

pub mod assign;
pub mod partition;

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
