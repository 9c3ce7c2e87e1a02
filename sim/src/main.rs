//! The `kafkasim` command line. Thin: parse, call the library, print. Exit codes: 0 ok, 1 check failed, 2 bad input.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use kafkasim::cli::{self, partition::KeyArg, CliError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "kafkasim", version, about = "A deterministic simulator of an Apache Kafka cluster")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs a scenario and prints a readable timeline, the final state, the expectations and the trace hash.
    Run {
        /// A scenario file, or a name in scenarios/ (e.g. clean-failover).
        scenario: String,
        /// The seed (default: the scenario's own).
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this instant, e.g. 12s or 1500ms.
        #[arg(long)]
        until: Option<String>,
        /// Write the full trace as JSON Lines to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Print a JSON report instead of text.
        #[arg(long)]
        json: bool,
        /// Print only the trace hash.
        #[arg(long)]
        hash: bool,
    },
    /// Runs scenarios (default: every file in scenarios/) and verifies their expectations and invariants.
    Check {
        /// Scenario files or folders.
        paths: Vec<String>,
    },
    /// Runs many seeds of a scenario with random faults, in parallel, and reports invariant violations.
    Explore {
        /// A scenario file or name.
        scenario: String,
        /// Seeds as A..B (end excluded), or one seed.
        #[arg(long)]
        seeds: String,
        /// Random faults to add: none, crash, partition, pause (brokers), consumers (crash, pause or restart
        /// a consumer) or mixed (any of them).
        #[arg(long, default_value = "mixed")]
        faults: String,
        /// Worker threads (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// Print each seed's readable timeline with its random faults (use it with one seed to see a violation).
        #[arg(long)]
        timeline: bool,
    },
    /// Which partition each key lands on, as each client computes it.
    Partition {
        /// An implementation name from partitioners.json (e.g. java-default-keyed-partition, sarama-hash,
        /// kafka-go-murmur2), or `all` for a table across clients.
        #[arg(long)]
        partitioner: String,
        /// The number of partitions of the topic.
        #[arg(long)]
        partitions: u32,
        /// Keys (hashed as UTF-8 bytes).
        keys: Vec<String>,
        /// A key given as hex bytes, for keys that are not UTF-8 (may repeat).
        #[arg(long = "key-hex")]
        key_hex: Vec<String>,
    },
    /// Runs one assignor case (assignors.json format) and prints the assignment of each step as JSON.
    Assign {
        /// The case file.
        case: PathBuf,
    },
    /// Serves the browser explorer (built by `cargo xtask build`) and the book on 127.0.0.1.
    Serve {
        /// The port (0: any free port; the printed URL says which).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// The folder to serve; the book is its `book/` folder.
        #[arg(long, default_value = "dist")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let parsed = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let result = match parsed.command {
        Command::Partition { partitioner, partitions, keys, key_hex } => {
            let sub = matches.subcommand_matches("partition").expect("clap matched partition");
            let keys = keys_in_input_order(sub, keys, key_hex);
            cli::partition::run(&cli::partition::PartitionArgs { partitioner, partitions, keys })
        }
        Command::Assign { case } => cli::assign::run(&case),
        Command::Serve { port, dir } => cli::serve::execute(&cli::serve::ServeArgs { port, dir }),
        Command::Run { scenario, seed, until, trace, json, hash } => {
            cli::run::execute(&cli::run::RunArgs { scenario, seed, until, trace, json, hash })
        }
        Command::Check { paths } => return finish_check(cli::check::execute(&paths)),
        Command::Explore { scenario, seeds, faults, jobs, timeline } => {
            return finish_check(cli::explore::execute(&cli::explore::ExploreArgs {
                scenario,
                seeds,
                faults,
                jobs,
                timeline,
            }))
        }
    };
    finish(result)
}

/// Interleaves positional keys and `--key-hex` keys in the order they were typed.
fn keys_in_input_order(m: &clap::ArgMatches, keys: Vec<String>, hex: Vec<String>) -> Vec<KeyArg> {
    let utf8_idx = m.indices_of("keys").map(|i| i.collect::<Vec<_>>()).unwrap_or_default();
    let hex_idx = m.indices_of("key_hex").map(|i| i.collect::<Vec<_>>()).unwrap_or_default();
    let mut all: Vec<(usize, KeyArg)> =
        utf8_idx.into_iter().zip(keys.into_iter().map(KeyArg::Utf8)).collect();
    all.extend(hex_idx.into_iter().zip(hex.into_iter().map(KeyArg::Hex)));
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, k)| k).collect()
}

fn finish(result: Result<String, CliError>) -> ExitCode {
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {}", err.message);
            ExitCode::from(err.exit_code as u8)
        }
    }
}

/// For commands that pass or fail: exit 1 when something failed.
fn finish_check(result: Result<(String, bool), CliError>) -> ExitCode {
    match result {
        Ok((out, true)) => finish(Ok(out)),
        Ok((out, false)) => {
            print!("{out}");
            ExitCode::from(1)
        }
        Err(e) => finish(Err(e)),
    }
}
