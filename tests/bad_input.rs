//! Bad input gets a clear error, never a panic. Every file in `tests/bad_scenarios/` is a scenario that is
//! wrong in exactly one way; its first comment lines say what a user must be told:
//!
//! ```toml
//! # expect-line: 12                       1-based; 0 only for a problem with the file as a whole
//! # expect-column: 5                      optional
//! # expect-message: unknown broker 7      a substring of the message
//! # expect-help: brokers are [1, 2, 3]   optional, a substring of the `help:` line
//! # known-gap: why the parser falls short (reported, does not fail the test)
//! ```
//!
//! Each file goes through `kafkasim::scenario::parse` inside `catch_unwind`: a panic, an `Ok`, a wrong place or
//! a missing word is a failure, unless the file carries `# known-gap`, in which case it is listed as a gap. A
//! `known-gap` file that now passes is also a failure, so that the marker is removed once the parser is fixed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// The corpus may grow but must not silently shrink.
const MIN_FILES: usize = 30;

/// The folder, as errors name it (relative to the workspace root, where `kafkasim` is usually run).
const DISPLAY_DIR: &str = "tests/bad_scenarios";

/// What a file's header says the parser must report.
#[derive(Debug, Default)]
struct Expected {
    line: Option<usize>,
    column: Option<usize>,
    message: Option<String>,
    help: Option<String>,
    known_gap: Option<String>,
}

/// Reads the leading `#` lines. Unknown `expect-*` keys are errors, so a typo cannot disable a check.
fn read_header(text: &str) -> Result<Expected, String> {
    let mut expected = Expected::default();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let body = line.trim_start_matches('#').trim();
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        let number = |v: &str| v.parse::<usize>().map_err(|_| format!("`{line}`: not a number"));
        match key.trim() {
            "expect-line" => expected.line = Some(number(&value)?),
            "expect-column" => expected.column = Some(number(&value)?),
            "expect-message" => expected.message = Some(value),
            "expect-help" => expected.help = Some(value),
            "known-gap" => expected.known_gap = Some(value),
            other if other.starts_with("expect") || other.starts_with("known") => {
                return Err(format!("unknown header key `{other}` in `{line}`"))
            }
            _ => {}
        }
    }
    if expected.line.is_none() {
        return Err("the header has no `# expect-line: N`".into());
    }
    if expected.message.as_deref().is_none_or(str::is_empty) {
        return Err("the header has no `# expect-message: TEXT`".into());
    }
    Ok(expected)
}

/// Parses one file and lists every way the result differs from its header (empty: it passed).
fn problems(display: &str, text: &str, expected: &Expected) -> (Vec<String>, String) {
    let parsed = catch_unwind(AssertUnwindSafe(|| kafkasim::scenario::parse(display, text)));
    let err = match parsed {
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            return (vec![format!("the parser panicked: {why}")], String::new());
        }
        Ok(Ok(_)) => return (vec!["the parser accepted the file".into()], String::new()),
        Ok(Err(e)) => e,
    };
    let shown = err.to_string();
    let mut found = Vec::new();
    let line = expected.line.unwrap_or_default();
    if err.line != line {
        found.push(format!("line is {}, expected {line}", err.line));
    }
    if let Some(column) = expected.column {
        if err.column != column {
            found.push(format!("column is {}, expected {column}", err.column));
        }
    }
    if err.line > 0 && err.column == 0 {
        found.push("a line without a column".into());
    }
    let prefix = if line > 0 { format!("{display}:{line}:{}:", err.column) } else { format!("{display}: ") };
    if !shown.starts_with(&prefix) {
        found.push(format!("the output does not start with `{prefix}`"));
    }
    if let Some(want) = &expected.message {
        if !err.message.contains(want.as_str()) {
            found.push(format!("the message does not contain `{want}`"));
        }
    }
    match (&expected.help, &err.help) {
        (Some(want), Some(help)) if !help.contains(want.as_str()) => {
            found.push(format!("the help does not contain `{want}`"))
        }
        (Some(want), None) => found.push(format!("no help line (expected one containing `{want}`)")),
        _ => {}
    }
    (found, shown)
}

fn corpus() -> Vec<PathBuf> {
    let dir = kafkasim_tests::repo_root().join(DISPLAY_DIR);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn report(name: &str, detail: &[String], shown: &str) -> String {
    let mut out = format!("{name}\n");
    for d in detail {
        let _ = writeln!(out, "  - {d}");
    }
    if !shown.is_empty() {
        let _ = writeln!(out, "  actual output:\n    {}", shown.replace('\n', "\n    "));
    }
    out
}

#[test]
fn every_bad_scenario_gets_a_located_error_with_a_fix() {
    let files = corpus();
    assert!(
        files.len() >= MIN_FILES,
        "{DISPLAY_DIR} has {} scenario(s); the corpus must keep at least {MIN_FILES}",
        files.len()
    );
    let (mut passed, mut gaps, mut failures) = (0, Vec::new(), Vec::new());
    for path in &files {
        let name = path.file_name().expect("a file name").to_string_lossy().to_string();
        let display = format!("{DISPLAY_DIR}/{name}");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {display}: {e}"));
        let expected = match read_header(&text) {
            Ok(e) => e,
            Err(why) => {
                failures.push(report(&name, &[format!("bad header: {why}")], ""));
                continue;
            }
        };
        let (found, shown) = problems(&display, &text, &expected);
        match (&expected.known_gap, found.is_empty()) {
            (None, true) => passed += 1,
            (None, false) => failures.push(report(&name, &found, &shown)),
            (Some(gap), false) => gaps.push(report(&format!("{name} (known gap: {gap})"), &found, &shown)),
            (Some(_), true) => {
                failures.push(report(&name, &["passes now: delete its `# known-gap` line".into()], &shown))
            }
        }
    }
    // Written to the real stderr, not the test's captured output, so the gaps show on every run.
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "bad_scenarios: {} file(s), {passed} pass, {} known gap(s), {} failure(s)",
        files.len(),
        gaps.len(),
        failures.len()
    );
    for gap in &gaps {
        let _ = write!(stderr, "KNOWN GAP {gap}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad scenario(s) failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_header_reader_rejects_a_misspelt_key() {
    assert!(read_header("# expect-line: 3\n# expect-mesage: x\n").is_err());
    assert!(read_header("# expect-line: 3\n").is_err(), "a message is required");
    let ok = read_header("# expect-line: 3\n# expect-message: unknown broker 7\n[scenario]\n")
        .expect("a valid header");
    assert_eq!((ok.line, ok.message.as_deref()), (Some(3), Some("unknown broker 7")));
}
