//! Every scenario in `scenarios/` runs to its end with the invariant checkers on, and every expectation it
//! declares holds. Its readable timeline is pinned with an `insta` snapshot, so any change of behaviour shows up
//! in review as a diff of plain sentences.

use kafkasim::engine::trace::TraceLevel;
use kafkasim::scenario::run::{readable_timeline, run, RunOptions};
use kafkasim_tests::{repo_root, scenario_files};

#[test]
fn every_scenario_meets_its_expectations() {
    let files = scenario_files();
    assert!(files.len() >= 11, "the required scenarios are missing: found {}", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let scenario = kafkasim::scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!scenario.expectations.is_empty(), "{} has no expectations", path.display());
        let report = run(
            &scenario,
            RunOptions { seed: scenario.seed, until: None, level: TraceLevel::Summary, checkers: true },
        );
        if !report.passed() {
            let mut text = format!(
                "{} (reproduce: kafkasim run {} --seed {})\n",
                path.display(),
                path.display(),
                scenario.seed
            );
            for (e, v) in report.verdicts.iter().filter(|(_, v)| !v.ok) {
                text.push_str(&format!("  expect ({}) at {}: {}\n", e.origin, e.at, v.message));
            }
            for v in &report.checks.violations {
                text.push_str(&format!("  checker {}: {}\n", v.checker, v.message));
            }
            failures.push(text);
        }
    }
    assert!(failures.is_empty(), "scenarios failed:\n{}", failures.join("\n"));
}

#[test]
fn readable_timelines_are_pinned() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for path in scenario_files() {
            let scenario = kafkasim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            let report = run(
                &scenario,
                RunOptions { seed: scenario.seed, until: None, level: TraceLevel::Summary, checkers: true },
            );
            let name = path.file_stem().expect("a file name").to_string_lossy().to_string();
            let text = format!(
                "{}\ntrace hash (summary level): {}\n",
                readable_timeline(&report.world),
                report.world.trace().hash_hex()
            );
            insta::assert_snapshot!(name, text);
        }
    });
}
