//! Determinism: the same scenario and seed give a byte-identical trace; a different seed gives a different one;
//! and how much the trace records never changes what happens.

use kafkasim::engine::trace::{TraceKind, TraceLevel};
use kafkasim::scenario::run::{run, RunOptions};
use kafkasim_tests::scenario_files;

fn trace(path: &std::path::Path, seed: u64, level: TraceLevel) -> (String, String) {
    let scenario = kafkasim::scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    let report = run(&scenario, RunOptions { seed, until: None, level, checkers: false });
    (report.world.trace().hash_hex(), report.world.trace().to_jsonl())
}

#[test]
fn same_seed_same_trace() {
    for path in scenario_files() {
        let (h1, t1) = trace(&path, 42, TraceLevel::Full);
        let (h2, t2) = trace(&path, 42, TraceLevel::Full);
        assert_eq!(
            h1,
            h2,
            "{}: hashes differ for seed 42 (reproduce: kafkasim run {} --seed 42 --hash)",
            path.display(),
            path.display()
        );
        assert!(t1 == t2, "{}: traces differ byte for byte for seed 42", path.display());
    }
}

#[test]
fn different_seeds_different_traces() {
    for path in scenario_files() {
        let (a, _) = trace(&path, 1, TraceLevel::Full);
        let (b, _) = trace(&path, 2, TraceLevel::Full);
        assert_ne!(
            a,
            b,
            "{}: seeds 1 and 2 gave the same trace; the seed is not reaching the run",
            path.display()
        );
    }
}

#[test]
fn trace_level_does_not_change_behaviour() {
    for path in scenario_files() {
        let scenario = kafkasim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let opts = |level| RunOptions { seed: 5, until: None, level, checkers: false };
        let full = run(&scenario, opts(TraceLevel::Full));
        let summary = run(&scenario, opts(TraceLevel::Summary));
        let full_summary: Vec<_> = full
            .world
            .trace()
            .events()
            .iter()
            .filter(|e| {
                !matches!(
                    e.kind,
                    TraceKind::MessageDelivered { .. }
                        | TraceKind::MessageDropped { .. }
                        | TraceKind::TimerFired { .. }
                        | TraceKind::HighWatermark { .. }
                )
            })
            .collect();
        let summary_events: Vec<_> = summary.world.trace().events().iter().collect();
        assert!(full_summary == summary_events, "{}: recording more detail changed the run", path.display());
        assert_eq!(full.world.steps(), summary.world.steps(), "{}: step counts differ", path.display());
    }
}

#[test]
fn a_cloned_world_is_a_checkpoint() {
    use kafkasim::scenario::run::build_world;
    for path in scenario_files() {
        let scenario = kafkasim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut world = build_world(&scenario, 3, TraceLevel::Full);
        for _ in 0..500 {
            world.step();
        }
        let mut restored = world.clone();
        world.run_until(scenario.duration);
        restored.run_until(scenario.duration);
        assert_eq!(
            world.trace().hash_hex(),
            restored.trace().hash_hex(),
            "{}: a run resumed from a clone at step 500 diverged",
            path.display()
        );
    }
}
