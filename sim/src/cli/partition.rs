//! `kafkasim partition`. (Being written.)

use super::CliError;

/// Arguments of `kafkasim partition`.
#[derive(Debug, Clone)]
pub struct PartitionArgs {
    /// An `implementation` name from partitioners.json, or `all`.
    pub partitioner: String,
    /// The number of partitions.
    pub partitions: u32,
    /// The keys in the order the user gave them: positional UTF-8 keys and `--key-hex` keys interleaved as typed.
    pub keys: Vec<KeyArg>,
}

/// One key from the command line.
#[derive(Debug, Clone)]
pub enum KeyArg {
    /// A positional key, hashed as its UTF-8 bytes.
    Utf8(String),
    /// A `--key-hex` key, not yet decoded (bad hex is the user's error to report).
    Hex(String),
}

/// Returns the text to print.
pub fn run(_args: &PartitionArgs) -> Result<String, CliError> {
    Err(CliError::bad_input("kafkasim partition is not implemented yet"))
}
