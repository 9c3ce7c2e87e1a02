//! The project's own chores: `cargo xtask build | serve | test`.
//!
//! - `test` installs what the tests need (nothing beyond the Rust toolchain yet) and runs every check CI runs:
//!   rustfmt, clippy with warnings denied, and every test of the workspace.
//! - `build` builds the `kafkasim` CLI in release mode.
//! - `serve` is the README's first command. The browser page is a later step; until it exists, `serve` builds
//!   the CLI, replays a scenario with its readable timeline and checks every scenario in `scenarios/`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&root),
        Some("build") => build(&root),
        Some("serve") => serve(&root),
        _ => {
            eprintln!("usage: cargo xtask <build | serve | test>");
            eprintln!("  build   build the kafkasim CLI (release)");
            eprintln!("  serve   build, then replay a scenario and check every scenario");
            eprintln!("  test    install what the tests need, then run fmt, clippy and every test");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

/// Runs a command in the repository root, echoing it first.
fn run(root: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("+ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed with {status}", args.join(" ")))
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Makes sure rustfmt and clippy are there (they come with the toolchain on this project's machines; a
/// minimal toolchain gets them from rustup).
fn ensure_components(root: &Path) -> Result<(), String> {
    for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        let present = Command::new(cargo())
            .args([probe, "--version"])
            .current_dir(root)
            .output()
            .is_ok_and(|o| o.status.success());
        if !present {
            run(root, "rustup", &["component", "add", component])?;
        }
    }
    Ok(())
}

fn test(root: &Path) -> Result<(), String> {
    ensure_components(root)?;
    let cargo = cargo();
    run(root, &cargo, &["fmt", "--all", "--", "--check"])?;
    run(root, &cargo, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    run(root, &cargo, &["test", "--workspace"])?;
    Ok(())
}

fn build(root: &Path) -> Result<(), String> {
    run(root, &cargo(), &["build", "--release", "-p", "kafkasim"])
}

fn serve(root: &Path) -> Result<(), String> {
    build(root)?;
    let bin = root.join("target/release/kafkasim");
    let bin = bin.to_str().ok_or("the repository path is not UTF-8")?;
    eprintln!("The browser page is not built yet; replaying scenarios/clean-failover.toml instead.");
    run(root, bin, &["run", "clean-failover"])?;
    run(root, bin, &["check"])
}
