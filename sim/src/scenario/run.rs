//! Running a scenario: build the world from the file, step it to the end with the checkers watching, and
//! evaluate every expectation at its instant.

use super::expect::{check_history, check_state, Expectation, Verdict};
use super::Scenario;
use crate::check::{CheckReport, Checkers};
use crate::engine::action::TimedAction;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceLevel;
use crate::engine::world::World;
use crate::kafka::admin::AdminOp;
use crate::kafka::types::ClientId;

/// Builds the world a scenario describes, with topics created and the timeline scheduled, ready to step.
pub fn build_world(s: &Scenario, seed: u64, level: TraceLevel) -> World {
    let mut world = World::new(seed, s.broker_config.clone(), level);
    world.network.default_link = s.network;
    for (id, rack) in &s.brokers {
        world.add_broker(*id, rack.clone());
    }
    for t in &s.topics {
        let op = AdminOp::CreateTopics {
            name: t.name.clone(),
            partitions: t.partitions,
            replication_factor: t.replication_factor,
            configs: t.configs.clone(),
            start_index: t.start_index,
            assignment: t.assignment.clone(),
        };
        // Validation already rejected what Kafka would refuse, so the result is a success.
        let mut out = crate::engine::Effects::new(TraceLevel::Off);
        let result = crate::kafka::admin_controller::handle(&mut world.controller, &op, &mut out);
        assert!(result.error.is_none(), "validated topic {} was refused: {}", t.name, result.message);
    }
    for (name, cfg) in &s.producers {
        world.add_producer(name, cfg.clone());
    }
    for (name, spec) in &s.consumers {
        world.add_consumer(name, spec.clone());
    }
    for a in &s.timeline {
        world.schedule(TimedAction { at_ms: a.at_ms, action: a.action.clone(), note: a.note.clone() });
    }
    world.start();
    world
}

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// The seed.
    pub seed: u64,
    /// Stop here instead of at the scenario's end.
    pub until: Option<SimTime>,
    /// Trace detail.
    pub level: TraceLevel,
    /// Run the invariant checkers after every step.
    pub checkers: bool,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunReport {
    /// The world at the end.
    pub world: World,
    /// Every expectation with its verdict (empty when stopped early with `until`).
    pub verdicts: Vec<(Expectation, Verdict)>,
    /// The checkers' findings.
    pub checks: CheckReport,
}

impl RunReport {
    /// Whether every expectation held and (unless a scenario expects it) no checker found a violation.
    pub fn passed(&self) -> bool {
        let expected_violations: Vec<&str> = self
            .verdicts
            .iter()
            .filter_map(|(e, _)| match &e.check {
                super::expect::Check::Checker { checker, violated: true } => Some(checker.as_str()),
                _ => None,
            })
            .collect();
        self.verdicts.iter().all(|(_, v)| v.ok)
            && self.checks.violations.iter().all(|v| expected_violations.contains(&v.checker))
    }
}

/// Runs a scenario.
pub fn run(s: &Scenario, opts: RunOptions) -> RunReport {
    let mut world = build_world(s, opts.seed, opts.level);
    let mut checkers = opts.checkers.then(Checkers::new);
    let end = opts.until.unwrap_or(s.duration).min(s.duration);
    let mut instants: Vec<SimTime> = s.expectations.iter().filter(|e| e.is_state()).map(|e| e.at).collect();
    instants.push(end);
    instants.sort();
    instants.dedup();
    let mut verdicts = Vec::new();
    for t in instants.into_iter().filter(|t| *t <= end) {
        advance(&mut world, checkers.as_mut(), t);
        for e in s.expectations.iter().filter(|e| e.is_state() && e.at == t) {
            verdicts.push((e.clone(), check_state(&world, &e.check)));
        }
    }
    let checks = checkers.map(|c| c.report).unwrap_or_default();
    if opts.until.is_none_or(|u| u >= s.duration) {
        for e in s.expectations.iter().filter(|e| !e.is_state()) {
            verdicts.push((e.clone(), check_history(&world, &e.check, &checks)));
        }
    } else {
        verdicts.retain(|_| false);
    }
    verdicts.sort_by_key(|(e, _)| e.origin.clone());
    RunReport { world, verdicts, checks }
}

/// Steps the world up to and including `until`, running the checkers after each step.
pub fn advance(world: &mut World, mut checkers: Option<&mut Checkers>, until: SimTime) {
    while world.next_event_time().is_some_and(|t| t <= until) {
        world.step();
        if let Some(c) = checkers.as_deref_mut() {
            c.after_step(world);
        }
    }
    world.run_until(until);
}

/// The run as a reader sees it: one line per readable trace event, `[   12.345s] what happened`.
pub fn readable_timeline(world: &World) -> String {
    let mut out = String::new();
    for e in world.trace().events().iter().filter(|e| e.kind.is_readable()) {
        out.push_str(&format!("[{:>9}] {}\n", e.at.to_string(), e.kind.describe()));
    }
    out
}

/// The producer's name for an id (for messages).
pub fn client_name(world: &World, id: ClientId) -> String {
    world.client_names.get(id.0 as usize).cloned().unwrap_or_default()
}
