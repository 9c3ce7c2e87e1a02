//! `kafkasim check [PATH...]`: runs scenarios and verifies their expectations and the invariant checkers.

use super::{resolve_scenario, CliError};
use crate::engine::trace::TraceLevel;
use crate::scenario::load;
use crate::scenario::run::{run, RunOptions, RunReport};
use std::path::{Path, PathBuf};

/// The scenario files under the given paths (directories: their `*.toml`, sorted). Default: `scenarios/`.
pub fn scenario_files(paths: &[String]) -> Result<Vec<PathBuf>, CliError> {
    let paths: Vec<String> = if paths.is_empty() { vec!["scenarios".to_string()] } else { paths.to_vec() };
    let mut files = Vec::new();
    for p in paths {
        let path = Path::new(&p);
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(resolve_scenario(&p)?);
        }
    }
    Ok(files)
}

/// Renders the expectations' verdicts and the checkers' findings.
pub fn render_verdicts(report: &RunReport) -> String {
    let mut out = String::new();
    for (e, v) in &report.verdicts {
        let mark = if v.ok { "ok  " } else { "FAIL" };
        out.push_str(&format!("  {mark} expect ({}) at {}: {}\n", e.origin, e.at, v.message));
        if let (false, Some(note)) = (v.ok, &e.note) {
            out.push_str(&format!("       note: {note}\n"));
        }
    }
    for v in &report.checks.violations {
        out.push_str(&format!(
            "  checker {} violated at {} (step {}): {}\n",
            v.checker, v.at, v.step, v.message
        ));
    }
    out
}

/// Runs every scenario; returns the report text and whether all passed. Bad files give exit code 2.
pub fn execute(paths: &[String]) -> Result<(String, bool), CliError> {
    let files = scenario_files(paths)?;
    let mut out = String::new();
    let mut all_ok = true;
    let mut bad_input = Vec::new();
    for file in &files {
        let scenario = match load(file) {
            Ok(s) => s,
            Err(e) => {
                bad_input.push(e.to_string());
                continue;
            }
        };
        let report = run(
            &scenario,
            RunOptions { seed: scenario.seed, until: None, level: TraceLevel::Summary, checkers: true },
        );
        let ok = report.passed();
        all_ok &= ok;
        let n = report.verdicts.len();
        out.push_str(&format!(
            "{} {} ({n} expectations, seed {})\n",
            if ok { "PASS" } else { "FAIL" },
            file.display(),
            scenario.seed
        ));
        if !ok {
            out.push_str(&render_verdicts(&report));
            out.push_str(&format!("  reproduce: kafkasim run {} --seed {}\n", file.display(), scenario.seed));
        }
    }
    if !bad_input.is_empty() {
        return Err(CliError::bad_input(format!("{out}{}", bad_input.join("\n"))));
    }
    let passed = files.len();
    out.push_str(&format!("{} scenario(s) checked\n", passed));
    Ok((out, all_ok))
}
