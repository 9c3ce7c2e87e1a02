//! One exploration of a scenario: the world, the invariant checkers watching it, and the actions the user
//! injected. Plain Rust with no browser types, so it is tested natively; `lib.rs` only wraps it for JavaScript.
//!
//! The session steps the world exactly as `kafkasim run` does (`scenario::run::advance`: one event, then every
//! checker, whose violations go into the trace), at the `Full` trace level, and stops at the scenario's
//! duration. So a session run to its end has the same trace hash as `kafkasim run SCENARIO --seed N --hash`.
//!
//! Going back restores the nearest earlier checkpoint (a clone of the world and the checkers, taken every
//! `CHECKPOINT_EVERY` steps) and replays from there: the run is deterministic, so the replay reaches the very
//! same state, and its cost is bounded by the checkpoint spacing instead of growing with the run.

use kafkasim::check::Checkers;
use kafkasim::engine::action::Action;
use kafkasim::engine::time::SimTime;
use kafkasim::engine::trace::{TraceKind, TraceLevel};
use kafkasim::engine::world::World;
use kafkasim::engine::NodeId;
use kafkasim::kafka::types::BrokerId;
use kafkasim::scenario::run::build_world;
use kafkasim::scenario::{Scenario, ScenarioError};
use serde::{Deserialize, Serialize};

/// A fault the user asked for from the page, as the page sends it (`{"action": "crash", "broker": 2}`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum InjectRequest {
    /// Kill the broker's process.
    Crash { broker: i32 },
    /// Start a crashed broker again.
    Restart { broker: i32 },
    /// Stop-the-world pause of the broker.
    Pause { broker: i32 },
    /// End the broker's pause.
    Resume { broker: i32 },
    /// Cut every link to and from the broker.
    Isolate { broker: i32 },
    /// Restore every cut link.
    Heal,
}

impl InjectRequest {
    /// The broker it names, if any.
    fn broker(&self) -> Option<BrokerId> {
        match self {
            InjectRequest::Crash { broker }
            | InjectRequest::Restart { broker }
            | InjectRequest::Pause { broker }
            | InjectRequest::Resume { broker }
            | InjectRequest::Isolate { broker } => Some(BrokerId(*broker)),
            InjectRequest::Heal => None,
        }
    }

    /// The engine's action for it: the same `Action` a scenario's timeline would schedule.
    fn action(&self) -> Action {
        match self.clone() {
            InjectRequest::Crash { broker } => {
                Action::Crash { broker: BrokerId(broker), lose_tail_records: 0 }
            }
            InjectRequest::Restart { broker } => Action::Restart { broker: BrokerId(broker) },
            InjectRequest::Pause { broker } => Action::Pause { node: NodeId::Broker(BrokerId(broker)) },
            InjectRequest::Resume { broker } => Action::Resume { node: NodeId::Broker(BrokerId(broker)) },
            InjectRequest::Isolate { broker } => Action::Isolate { broker: BrokerId(broker) },
            InjectRequest::Heal => Action::HealAll,
        }
    }
}

/// An injected action and the point of the run where it happened, so that a replay applies it at the same
/// point: after step `step`, at instant `at` (later than that step's event when the user had run to a time).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Injection {
    step: u64,
    at: SimTime,
    request: InjectRequest,
}

/// One readable trace event, as the page's event log shows it.
#[derive(Clone, Debug, Serialize)]
pub struct EventLine {
    /// Position in the full trace.
    pub index: usize,
    /// Simulated time, readable (`12.345s`).
    pub at: String,
    /// Simulated time in microseconds.
    pub at_us: u64,
    /// The scheduler step that produced it.
    pub step: u64,
    /// The trace kind (`LeaderElected`, `Fault`, ...).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The event in plain words.
    pub text: String,
}

/// What the page shows about the scenario before and while it runs.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioSummary {
    /// The scenario's title.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Its own seed.
    pub seed: u64,
    /// Its duration in milliseconds.
    pub duration_ms: u64,
}

/// Steps between two checkpoints. Going back restores the nearest earlier checkpoint and replays at most this
/// many events.
const CHECKPOINT_EVERY: u64 = 1000;

/// The state of a run at a step: a clone of the world and of the checkers' memory.
#[derive(Clone, Debug)]
struct Checkpoint {
    world: World,
    checkers: Checkers,
    applied: usize,
}

/// A running exploration.
#[derive(Debug)]
pub struct Session {
    scenario: Scenario,
    seed: u64,
    world: World,
    checkers: Checkers,
    injections: Vec<Injection>,
    /// How many of `injections` have been applied to `world`.
    applied: usize,
    /// Checkpoints in step order, the first at step 0.
    checkpoints: Vec<Checkpoint>,
}

impl Session {
    /// Parses the scenario and builds its world at step 0.
    pub fn new(scenario_toml: &str, file_name: &str, seed: u64) -> Result<Session, ScenarioError> {
        let scenario = kafkasim::scenario::parse(file_name, scenario_toml)?;
        // `Full`, not `Summary`: the CLI's `--hash` hashes the full trace, and the page must show the same hash.
        let world = build_world(&scenario, seed, TraceLevel::Full);
        let checkers = Checkers::new();
        let start = Checkpoint { world: world.clone(), checkers: checkers.clone(), applied: 0 };
        Ok(Session {
            scenario,
            seed,
            world,
            checkers,
            injections: Vec::new(),
            applied: 0,
            checkpoints: vec![start],
        })
    }

    /// The scenario's title, description, seed and duration.
    pub fn summary(&self) -> ScenarioSummary {
        summary(&self.scenario)
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The world as it is now.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The end of the run: the scenario's duration.
    pub fn end(&self) -> SimTime {
        self.scenario.duration
    }

    /// Whether no event is left before the end.
    pub fn finished(&self) -> bool {
        self.world.next_event_time().is_none_or(|t| t > self.end())
    }

    /// Handles one event (and the checkers after it). Returns false at the end of the run.
    pub fn step(&mut self) -> bool {
        if self.finished() {
            return false;
        }
        self.world.step();
        self.checkers.after_step(&mut self.world);
        self.apply_due_injections();
        let steps = self.world.steps();
        if steps % CHECKPOINT_EVERY == 0 && self.checkpoints.last().is_some_and(|c| c.world.steps() < steps) {
            let checkpoint = Checkpoint {
                world: self.world.clone(),
                checkers: self.checkers.clone(),
                applied: self.applied,
            };
            self.checkpoints.push(checkpoint);
        }
        true
    }

    /// Handles up to `n` events; returns how many it handled.
    pub fn step_n(&mut self, n: u64) -> u64 {
        let mut done = 0;
        while done < n && self.step() {
            done += 1;
        }
        done
    }

    /// Steps until the next readable event (an election, a fault, an ISR change...) or the end, at most `limit`
    /// events. Returns how many events it handled.
    pub fn step_to_readable(&mut self, limit: u64) -> u64 {
        let mut done = 0;
        while done < limit {
            let before = self.world.trace().events().len();
            if !self.step() {
                break;
            }
            done += 1;
            if self.world.trace().events()[before..].iter().any(|e| e.kind.is_readable()) {
                break;
            }
        }
        done
    }

    /// Handles every event due at or before `until` (capped at the end of the run), then moves the clock there,
    /// like `kafkasim run --until`.
    pub fn run_until(&mut self, until: SimTime) {
        let until = until.min(self.end());
        while self.world.next_event_time().is_some_and(|t| t <= until) {
            self.step();
        }
        if self.world.now() < until {
            self.world.run_until(until);
        }
    }

    /// Runs to the scenario's end.
    pub fn run_to_end(&mut self) {
        self.run_until(self.end());
    }

    /// Goes to step `target`: forwards by stepping, backwards by restoring the nearest earlier checkpoint and
    /// replaying from it (the run is deterministic, so the replay reaches the same state; injected actions are
    /// replayed where they were made).
    pub fn seek(&mut self, target: u64) {
        if target < self.world.steps() {
            self.restore(|c| c.world.steps() <= target);
        }
        while self.world.steps() < target && self.step() {}
    }

    /// Goes to instant `t` (capped at the end), backwards from a checkpoint like [`Session::seek`].
    pub fn seek_time(&mut self, t: SimTime) {
        if t < self.world.now() {
            self.restore(|c| c.world.now() <= t);
        }
        self.run_until(t);
    }

    /// Restores the last checkpoint that `fits`, keeping the injected actions so that running forward replays
    /// them. The checkpoint at step 0 always fits.
    fn restore(&mut self, fits: impl Fn(&Checkpoint) -> bool) {
        let at = self.checkpoints.iter().rposition(fits).unwrap_or(0);
        let c = self.checkpoints[at].clone();
        self.world = c.world;
        self.checkers = c.checkers;
        self.applied = c.applied;
        self.apply_due_injections();
    }

    /// Applies a fault now. It becomes part of the run: going back before it and forward again replays it. Errors
    /// (for the page to show) name a broker the scenario does not have.
    pub fn inject(&mut self, request: InjectRequest) -> Result<(), String> {
        if let Some(b) = request.broker() {
            if !self.world.brokers.contains_key(&b) {
                let known: Vec<String> = self.world.brokers.keys().map(|k| k.0.to_string()).collect();
                return Err(format!("no broker {b} in this scenario (brokers: {})", known.join(", ")));
            }
        }
        let injection = Injection { step: self.world.steps(), at: self.world.now(), request };
        // The run forks here: checkpoints taken later belong to the old run. One taken at this very step was
        // taken before the injection and stays valid (restoring it applies the injection again).
        let step = injection.step;
        self.checkpoints.retain(|c| c.world.steps() <= step);
        // Earlier injections at this step are applied already; later ones (after a step back) stay ahead.
        self.injections.insert(self.applied, injection);
        self.apply_due_injections();
        Ok(())
    }

    /// How many actions the user injected (a run with any no longer matches the scenario's trace hash).
    pub fn injected(&self) -> usize {
        self.injections.len()
    }

    /// Readable events from position `from` of the trace on.
    pub fn events_from(&self, from: usize) -> Vec<EventLine> {
        let events = self.world.trace().events();
        events
            .iter()
            .enumerate()
            .skip(from.min(events.len()))
            .filter(|(_, e)| e.kind.is_readable())
            .map(|(index, e)| EventLine {
                index,
                at: e.at.to_string(),
                at_us: e.at.0,
                step: e.step,
                kind: e.kind.name(),
                text: e.kind.describe(),
            })
            .collect()
    }

    /// Applies the injections made at the current step, each at its own instant.
    fn apply_due_injections(&mut self) {
        while let Some(inj) = self.injections.get(self.applied).cloned() {
            if inj.step != self.world.steps() {
                break;
            }
            // The user had run to an instant past this step's event: every event up to that instant was already
            // handled then (that is how the run got there), so this only moves the clock.
            if self.world.now() < inj.at {
                self.world.run_until(inj.at);
            }
            let action = inj.request.action();
            self.world.record(TraceKind::Fault {
                fault: format!("{} (injected from the explorer)", action.describe()),
            });
            self.world.apply_action(action);
            self.applied += 1;
        }
    }
}

/// The title, description, seed and duration of a parsed scenario.
pub fn summary(s: &Scenario) -> ScenarioSummary {
    ScenarioSummary {
        name: s.name.clone(),
        description: s.description.clone(),
        seed: s.seed,
        duration_ms: s.duration.as_ms(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkasim::scenario::run::{run, RunOptions};

    fn scenario_file(name: &str) -> String {
        let path = format!("{}/../scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }

    fn cli_hash(text: &str, seed: u64) -> String {
        let scenario = kafkasim::scenario::parse("s.toml", text).expect("scenario parses");
        let report =
            run(&scenario, RunOptions { seed, until: None, level: TraceLevel::Full, checkers: true });
        report.world.trace().hash_hex()
    }

    #[test]
    fn a_session_run_to_the_end_has_the_cli_hash() {
        for name in ["clean-failover", "acks1-loses-acked-write"] {
            let text = scenario_file(name);
            for seed in [1, 7] {
                let mut s = Session::new(&text, "s.toml", seed).expect("scenario parses");
                s.run_to_end();
                assert_eq!(
                    s.world().trace().hash_hex(),
                    cli_hash(&text, seed),
                    "reproduce: kafkasim run scenarios/{name}.toml --seed {seed} --hash"
                );
            }
        }
    }

    #[test]
    fn stepping_one_event_at_a_time_gives_the_same_hash_as_running_to_the_end() {
        let text = scenario_file("clean-failover");
        let mut by_steps = Session::new(&text, "s.toml", 3).expect("parses");
        while by_steps.step() {}
        by_steps.run_to_end();
        let mut at_once = Session::new(&text, "s.toml", 3).expect("parses");
        at_once.run_to_end();
        assert_eq!(by_steps.world().trace().hash_hex(), at_once.world().trace().hash_hex());
    }

    #[test]
    fn seeking_back_reaches_the_state_a_fresh_run_had_at_that_step() {
        let text = scenario_file("clean-failover");
        let mut s = Session::new(&text, "s.toml", 7).expect("parses");
        s.step_n(500);
        let hash_at_500 = s.world().trace().hash_hex();
        s.step_n(700);
        s.seek(500);
        assert_eq!(s.world().steps(), 500);
        assert_eq!(s.world().trace().hash_hex(), hash_at_500);
    }

    #[test]
    fn seeking_back_in_time_matches_a_fresh_run_to_that_instant() {
        let text = scenario_file("clean-failover");
        let mut fresh = Session::new(&text, "s.toml", 7).expect("parses");
        fresh.run_until(SimTime::from_ms(6_000));
        let mut s = Session::new(&text, "s.toml", 7).expect("parses");
        s.run_until(SimTime::from_ms(15_000));
        s.seek_time(SimTime::from_ms(6_000));
        assert_eq!(s.world().now(), SimTime::from_ms(6_000));
        assert_eq!(s.world().steps(), fresh.world().steps());
        assert_eq!(s.world().trace().hash_hex(), fresh.world().trace().hash_hex());
    }

    #[test]
    fn an_injected_crash_is_replayed_after_going_back_before_it() {
        let text = scenario_file("clean-failover");
        let mut s = Session::new(&text, "s.toml", 7).expect("parses");
        s.run_until(SimTime::from_ms(2_000));
        s.inject(InjectRequest::Crash { broker: 2 }).expect("broker 2 exists");
        s.run_until(SimTime::from_ms(20_000));
        let (steps, hash) = (s.world().steps(), s.world().trace().hash_hex());
        s.seek(10);
        s.seek(steps);
        assert_eq!(s.world().trace().hash_hex(), hash);
        assert!(s.events_from(0).iter().any(|e| e.text.contains("broker 2 crashes (injected")));
        let elected = s.events_from(0).into_iter().filter(|e| e.kind == "LeaderElected").count();
        assert!(elected >= 1, "the crash of broker 2 and then 1 must lead to an election");
    }

    #[test]
    fn going_back_across_checkpoints_and_an_injection_matches_a_fresh_run() {
        let text = scenario_file("clean-failover");
        let mut s = Session::new(&text, "clean-failover.toml", 7).unwrap();
        s.seek(3_700);
        s.seek(2_500);
        s.inject(InjectRequest::Crash { broker: 2 }).unwrap();
        assert!(
            s.checkpoints.iter().all(|c| c.world.steps() <= 2_500),
            "checkpoints of the old run were kept"
        );
        s.seek(3_700);
        let forward = s.world().trace().hash_hex();
        s.seek(1_200);
        s.seek(3_700);
        assert_eq!(s.world().trace().hash_hex(), forward, "replay from a checkpoint, through the injection");
        let mut fresh = Session::new(&text, "clean-failover.toml", 7).unwrap();
        fresh.seek(2_500);
        fresh.inject(InjectRequest::Crash { broker: 2 }).unwrap();
        fresh.seek(3_700);
        assert_eq!(
            fresh.world().trace().hash_hex(),
            forward,
            "the forked run is the run a fresh session makes"
        );
    }

    #[test]
    fn injecting_into_an_unknown_broker_is_an_error_not_a_panic() {
        let text = scenario_file("clean-failover");
        let mut s = Session::new(&text, "s.toml", 7).expect("parses");
        let err = s.inject(InjectRequest::Crash { broker: 42 }).expect_err("no broker 42");
        assert!(err.contains("no broker 42"), "{err}");
        assert_eq!(s.injected(), 0);
    }

    #[test]
    fn inject_requests_parse_from_the_pages_json() {
        let r: InjectRequest = serde_json::from_str(r#"{"action":"isolate","broker":3}"#).expect("valid");
        assert_eq!(r, InjectRequest::Isolate { broker: 3 });
        let r: InjectRequest = serde_json::from_str(r#"{"action":"heal"}"#).expect("valid");
        assert_eq!(r, InjectRequest::Heal);
        assert!(serde_json::from_str::<InjectRequest>(r#"{"action":"explode","broker":3}"#).is_err());
    }

    #[test]
    fn the_run_stops_at_the_scenarios_duration() {
        let text = scenario_file("clean-failover");
        let mut s = Session::new(&text, "s.toml", 7).expect("parses");
        s.run_to_end();
        assert!(s.finished());
        assert!(!s.step());
        assert_eq!(s.world().now(), s.end());
    }
}
