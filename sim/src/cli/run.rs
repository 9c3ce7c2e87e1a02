//! `kafkasim run SCENARIO [--seed N] [--until T] [--trace FILE] [--json] [--hash]`.

use super::{resolve_scenario, CliError};
use crate::engine::trace::TraceLevel;
use crate::scenario::parse::parse_time;
use crate::scenario::run::{run, RunOptions};
use crate::scenario::{format::Time, load};
use crate::view::{render_text, view};
use std::path::PathBuf;

/// Arguments of `kafkasim run`.
#[derive(Debug, Clone)]
pub struct RunArgs {
    /// Scenario file, or a name in `scenarios/`.
    pub scenario: String,
    /// Seed (default: the scenario's).
    pub seed: Option<u64>,
    /// Stop at this instant.
    pub until: Option<String>,
    /// Write the trace as JSON Lines here.
    pub trace: Option<PathBuf>,
    /// Print a JSON report instead of the readable timeline.
    pub json: bool,
    /// Print only the trace hash.
    pub hash: bool,
}

/// Runs a scenario and renders the result.
pub fn execute(args: &RunArgs) -> Result<String, CliError> {
    let path = resolve_scenario(&args.scenario)?;
    let scenario = load(&path).map_err(|e| CliError::bad_input(e.to_string()))?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let until = match &args.until {
        Some(t) => Some(
            parse_time(&Time::Text(t.clone())).map_err(|m| CliError::bad_input(format!("--until: {m}")))?,
        ),
        None => None,
    };
    let report = run(&scenario, RunOptions { seed, until, level: TraceLevel::Full, checkers: true });
    if let Some(file) = &args.trace {
        std::fs::write(file, report.world.trace().to_jsonl())
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", file.display())))?;
    }
    let hash = report.world.trace().hash_hex();
    if args.hash {
        return Ok(format!("{hash}\n"));
    }
    if args.json {
        let json = serde_json::json!({
            "scenario": scenario.name,
            "seed": seed,
            "trace_hash": hash,
            "passed": report.passed(),
            "expectations": report.verdicts.iter().map(|(e, v)| serde_json::json!({
                "origin": e.origin, "ok": v.ok, "message": v.message, "note": e.note})).collect::<Vec<_>>(),
            "violations": report.checks.violations,
            "timeline": report.world.trace().events().iter().filter(|e| e.kind.is_readable())
                .map(|e| serde_json::json!({"at": e.at.to_string(), "step": e.step, "type": e.kind.name(), "text": e.kind.describe()}))
                .collect::<Vec<_>>(),
            "view": view(&report.world),
        });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&json).expect("serialisable")));
    }
    let mut out = format!("# {} (seed {seed})\n", scenario.name);
    out.push_str(&crate::scenario::run::readable_timeline(&report.world));
    out.push('\n');
    out.push_str(&render_text(&view(&report.world)));
    out.push_str(&super::groups::render(&report.world));
    out.push_str(&super::check::render_verdicts(&report));
    out.push_str(&format!("trace hash: {hash}\n"));
    Ok(out)
}
