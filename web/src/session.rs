//! One exploration of a scenario: the run, the invariant checkers watching it, the actions the user injected, and
//! checkpoints for going back. Plain Rust with no browser types, so it is tested natively; `lib.rs` only wraps
//! it for JavaScript.
//!
//! The session steps the world exactly as `kafkasim run` does (`scenario::run::advance`: one event, then every
//! checker, whose violations go into the trace), at the `Full` trace level, and stops at the scenario's
//! duration. So a session run to its end has the same trace hash as `kafkasim run SCENARIO --seed N --hash`.
//!
//! Two copies of the run move through it:
//!
//! ```text
//!   step 0 ──────────────── shown ─────────────── front ──────────── end
//!          checkpoints every CHECKPOINT_EVERY steps, taken by the front
//! ```
//!
//! - the **front** is the furthest point computed. It only moves forward; it takes the checkpoints (clones of the
//!   world and the checkers, without the trace), and its trace is the longest of the run. `explore` moves it
//!   ahead in the background, so that the timeline can mark what is still to come.
//! - the **shown** point is what the page draws. When it is the front, there is one copy; when the user goes
//!   back (or the front explored ahead), it is a separate copy restored from the nearest checkpoint before the
//!   target and replayed from there, with its trace rewound or caught up from the front's. The run is
//!   deterministic, so a replay reaches the very state the front passed; when the shown copy reaches the front
//!   again the two are one.
//!
//! An injected action changes the run: the session becomes the session of the scenario with that action in its
//! timeline (see [`crate::inject`]), rebuilt and moved back to where the user was.

use crate::events::{self, CheckerStatus, EventLine, Marker, MessageFilter, MessageLine};
use crate::inject::{self, InjectRequest, Injection};
use kafkasim::check::Checkers;
use kafkasim::engine::sort;
use kafkasim::engine::time::SimTime;
use kafkasim::engine::trace::{Trace, TraceKind, TraceLevel, TraceMark};
use kafkasim::engine::world::World;
use kafkasim::scenario::run::build_world;
use kafkasim::scenario::{Scenario, ScenarioError};
use serde::Serialize;

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
/// many events; a checkpoint holds the world's state without its trace (logs share their batches).
pub const CHECKPOINT_EVERY: u64 = 500;

/// A world and the checkers watching it: one copy of the run.
#[derive(Clone, Debug)]
struct Cursor {
    world: World,
    checkers: Checkers,
}

impl Cursor {
    fn step(&mut self) {
        self.world.step();
        self.checkers.after_step(&mut self.world);
    }

    fn steps(&self) -> u64 {
        self.world.steps()
    }

    fn now(&self) -> SimTime {
        self.world.now()
    }

    /// Whether no event is left before `end`.
    fn finished(&self, end: SimTime) -> bool {
        self.world.next_event_time().is_none_or(|t| t > end)
    }

    /// Whether the next event is due at or before `t` (and before `end`).
    fn due(&self, t: SimTime) -> bool {
        self.world.next_event_time().is_some_and(|n| n <= t)
    }
}

/// The run at a step, without its trace (the trace is rewound to `mark` or caught up to it when restoring).
#[derive(Clone, Debug)]
struct Checkpoint {
    world: World,
    checkers: Checkers,
    mark: TraceMark,
}

/// What an injection did.
#[derive(Clone, Debug, Serialize)]
pub struct InjectOutcome {
    /// The millisecond the action happened at.
    pub at_ms: u64,
    /// The action as recorded (with the name the session chose for a new consumer).
    pub injection: Injection,
    /// Set when the rebuilt run differs from the old one before the action (a new consumer exists from the
    /// start of the run in the scenario file, and a broker crash before it resets its idle connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A running exploration.
#[derive(Debug)]
pub struct Session {
    file_name: String,
    base_text: String,
    seed: u64,
    injections: Vec<Injection>,
    scenario: Scenario,
    front: Cursor,
    /// The shown copy when it is not the front.
    view: Option<Cursor>,
    /// Checkpoints in step order, the first at step 0, all at or before the front.
    checkpoints: Vec<Checkpoint>,
    /// The trace of the last shown copy that rejoined the front: a prefix of the front's trace, kept so that
    /// the next step back rewinds or extends it instead of copying the front's whole trace again.
    spare: Option<Trace>,
}

impl Session {
    /// Parses the scenario and builds its world at step 0.
    pub fn new(scenario_toml: &str, file_name: &str, seed: u64) -> Result<Session, ScenarioError> {
        Session::with_injections(scenario_toml, file_name, seed, Vec::new())
    }

    /// The session of a scenario with actions injected earlier (a share link), at step 0.
    pub fn with_injections(
        scenario_toml: &str,
        file_name: &str,
        seed: u64,
        mut injections: Vec<Injection>,
    ) -> Result<Session, ScenarioError> {
        // The order of the appended entries decides the order of actions at the same millisecond.
        sort::sort_by_key(&mut injections, |i| i.at_ms);
        let text = inject::effective_text(scenario_toml, &injections, None);
        let scenario = kafkasim::scenario::parse(file_name, &text)?;
        // `Full`, not `Summary`: the CLI's `--hash` hashes the full trace, and the page must show the same hash.
        let world = build_world(&scenario, seed, TraceLevel::Full);
        let front = Cursor { world, checkers: Checkers::new() };
        let mut session = Session {
            file_name: file_name.to_string(),
            base_text: scenario_toml.to_string(),
            seed,
            injections,
            scenario,
            front,
            view: None,
            checkpoints: Vec::new(),
            spare: None,
        };
        session.take_checkpoint();
        Ok(session)
    }

    /// The scenario's title, description, seed and duration.
    pub fn summary(&self) -> ScenarioSummary {
        summary(&self.scenario)
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The parsed scenario being run (with the injected actions).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn shown(&self) -> &Cursor {
        self.view.as_ref().unwrap_or(&self.front)
    }

    /// The world as the page shows it.
    pub fn world(&self) -> &World {
        &self.shown().world
    }

    /// The end of the run: the scenario's duration.
    pub fn end(&self) -> SimTime {
        self.scenario.duration
    }

    /// Whether no event is left before the end.
    pub fn finished(&self) -> bool {
        self.shown().finished(self.end())
    }

    /// How far the run is known: the front's instant (the timeline marks events up to here).
    pub fn known_until(&self) -> SimTime {
        self.front.now()
    }

    /// Whether the front has reached the end, so every marker of the run is known.
    pub fn fully_known(&self) -> bool {
        self.front.finished(self.end())
    }

    // ---------- the front ----------

    /// Moves the front one event ahead, taking a checkpoint every `CHECKPOINT_EVERY` steps.
    fn advance_front(&mut self) -> bool {
        if self.front.finished(self.end()) {
            return false;
        }
        self.front.step();
        if self.front.steps() % CHECKPOINT_EVERY == 0 {
            self.take_checkpoint();
        }
        true
    }

    fn take_checkpoint(&mut self) {
        let level = self.front.world.trace().level();
        let trace = self.front.world.replace_trace(Trace::new(level));
        let checkpoint = Checkpoint {
            world: self.front.world.clone(),
            checkers: self.front.checkers.clone(),
            mark: trace.mark(),
        };
        self.front.world.replace_trace(trace);
        self.checkpoints.push(checkpoint);
    }

    /// Computes up to `max_steps` events ahead of what is shown, so the timeline can mark them. Returns whether
    /// the whole run is known. The shown state does not change.
    pub fn explore(&mut self, max_steps: u64) -> bool {
        if self.fully_known() {
            return true;
        }
        if self.view.is_none() {
            self.view = Some(self.front.clone());
        }
        for _ in 0..max_steps {
            if !self.advance_front() {
                break;
            }
        }
        self.fully_known()
    }

    // ---------- moving the shown point ----------

    /// Handles one event (and the checkers after it). Returns false at the end of the run.
    pub fn step(&mut self) -> bool {
        let end = self.end();
        let Some(view) = &self.view else {
            return self.advance_front();
        };
        if view.finished(end) {
            return false;
        }
        if view.steps() == self.front.steps() {
            self.advance_front();
        }
        let view = self.view.as_mut().expect("checked above");
        view.step();
        self.try_attach();
        true
    }

    /// Makes the shown copy the front again when both are at the same point.
    fn try_attach(&mut self) {
        let Some(view) = &self.view else { return };
        if view.steps() != self.front.steps() || view.now() < self.front.now() {
            return;
        }
        if view.now() > self.front.now() {
            // The shown copy ran to an instant after its last event: nothing is due before it, the clock moves.
            self.front.world.run_until(view.now());
        }
        self.drop_view();
    }

    /// Shows the front again; the shown copy's trace is kept as the spare.
    fn drop_view(&mut self) {
        if let Some(mut view) = self.view.take() {
            let level = view.world.trace().level();
            self.spare = Some(view.world.replace_trace(Trace::new(level)));
        }
    }

    /// Handles up to `n` events; returns how many it handled.
    pub fn step_n(&mut self, n: u64) -> u64 {
        let mut done = 0;
        while done < n && self.step() {
            done += 1;
        }
        done
    }

    /// Steps until an event of `wanted` is recorded or the end, at most `limit` events. Returns how many
    /// events it handled.
    fn step_until(&mut self, limit: u64, wanted: impl Fn(&TraceKind) -> bool) -> u64 {
        let mut done = 0;
        while done < limit {
            let before = self.world().trace().events().len();
            if !self.step() {
                break;
            }
            done += 1;
            if self.world().trace().events()[before..].iter().any(|e| wanted(&e.kind)) {
                break;
            }
        }
        done
    }

    /// Steps to the next readable event (an election, a fault, an ack...).
    pub fn step_to_readable(&mut self, limit: u64) -> u64 {
        self.step_until(limit, TraceKind::is_readable)
    }

    /// Steps to the next interesting event: a fault, an election, an ISR change, a rebalance, a violation...
    /// (what the timeline marks; see [`events::marker_class`]).
    pub fn step_to_interesting(&mut self, limit: u64) -> u64 {
        self.step_until(limit, |k| events::marker_class(k).is_some())
    }

    /// Handles every event due at or before `until` (capped at the end of the run), then moves the clock there,
    /// like `kafkasim run --until`.
    pub fn run_until(&mut self, until: SimTime) {
        self.run_until_capped(until, u64::MAX);
    }

    /// [`Session::run_until`], but handling at most `max_steps` events: returns false (and leaves the clock at
    /// the last event) when that was not enough to reach `until`. Playback uses it to keep each frame short
    /// when a big cluster cannot be simulated in real time.
    pub fn run_until_capped(&mut self, until: SimTime, max_steps: u64) -> bool {
        let until = until.min(self.end());
        let mut done = 0;
        while self.shown().due(until) {
            if done == max_steps {
                return false;
            }
            self.step();
            done += 1;
        }
        let shown = self.view.as_mut().unwrap_or(&mut self.front);
        if shown.now() < until {
            // Nothing is due before `until`: this only moves the clock.
            shown.world.run_until(until);
        }
        self.try_attach();
        true
    }

    /// Runs to the scenario's end.
    pub fn run_to_end(&mut self) {
        self.run_until(self.end());
    }

    /// Goes to step `target` (or the last step of the run): forwards by stepping, far forwards or backwards from
    /// the nearest checkpoint.
    pub fn seek(&mut self, target: u64) {
        let current = self.shown().steps();
        if target >= current && target - current <= CHECKPOINT_EVERY {
            while self.shown().steps() < target && self.step() {}
            return;
        }
        while self.front.steps() < target && self.advance_front() {}
        if self.front.steps() <= target {
            self.drop_view();
            return;
        }
        self.restore(|c| c.world.steps() <= target, |c| c.steps() <= target);
        let view = self.view.as_mut().expect("restore sets the shown copy");
        while view.steps() < target {
            view.step();
        }
        self.try_attach();
    }

    /// Goes to instant `t` (capped at the end): the state after every event due at or before `t`.
    pub fn seek_time(&mut self, t: SimTime) {
        let t = t.min(self.end());
        while self.front.due(t) && self.advance_front() {}
        if self.front.now() <= t {
            // Every event up to `t` is behind the front and none after it: the front is the state at `t`.
            self.drop_view();
            self.run_until(t);
            return;
        }
        self.restore(|c| c.world.now() <= t, |c| c.now() <= t);
        let view = self.view.as_mut().expect("restore sets the shown copy");
        while view.due(t) {
            view.step();
        }
        if view.now() < t {
            view.world.run_until(t);
        }
        self.try_attach();
    }

    /// Goes back one event.
    pub fn step_back(&mut self) {
        let steps = self.shown().steps();
        self.seek(steps.saturating_sub(1));
    }

    /// Makes the shown copy start from the last checkpoint that `fits`, or keeps the shown copy when it
    /// `still_fits` and is further along. Its trace is rewound or caught up from the front's. The front never
    /// moves back, so the checkpoint at step 0 always fits.
    fn restore(&mut self, fits: impl Fn(&Checkpoint) -> bool, still_fits: impl Fn(&Cursor) -> bool) {
        let at = self.checkpoints.iter().rposition(fits).unwrap_or(0);
        let checkpoint = &self.checkpoints[at];
        if let Some(view) = &self.view {
            if still_fits(view) && view.steps() >= checkpoint.world.steps() {
                return;
            }
        }
        let level = self.front.world.trace().level();
        let mut trace = match self.view.take() {
            Some(mut v) => v.world.replace_trace(Trace::new(level)),
            None => self.spare.take().unwrap_or_else(|| Trace::new(level)),
        };
        if trace.events().len() >= checkpoint.mark.len() {
            trace.rewind(checkpoint.mark);
        } else {
            trace.catch_up(self.front.world.trace(), checkpoint.mark);
        }
        let mut world = checkpoint.world.clone();
        world.replace_trace(trace);
        self.view = Some(Cursor { world, checkers: checkpoint.checkers.clone() });
    }

    // ---------- injected actions ----------

    /// Injects an action at the next whole millisecond after the shown instant and runs to just after it. It
    /// becomes part of the run: going back before it and forward again replays it, and the share link and the
    /// exported scenario contain it. A request that does not fit the scenario comes back as a sentence.
    pub fn inject(&mut self, request: InjectRequest) -> Result<InjectOutcome, String> {
        let request = inject::validate(&self.scenario, request)?;
        let (steps, now, hash) = (self.shown().steps(), self.shown().now(), self.world().trace().hash_hex());
        let at_ms = inject::next_whole_ms(now.0);
        if SimTime::from_ms(at_ms) > self.end() {
            return Err("the run has ended: step back to inject something".to_string());
        }
        let injection = Injection { at_ms, request };
        let mut injections = self.injections.clone();
        let position = injections.iter().take_while(|i| i.at_ms <= at_ms).count();
        injections.insert(position, injection.clone());
        let rebuilt = Session::with_injections(&self.base_text, &self.file_name, self.seed, injections)
            .map_err(|e| format!("the injected action does not fit the scenario: {}", e.message))?;
        *self = rebuilt;
        self.seek(steps);
        if self.shown().now() < now {
            self.run_until(now);
        }
        let warning = (self.world().trace().hash_hex() != hash).then(|| {
            "the run before this action changed too: a consumer added to the scenario exists from the start of the \
             run (idle until it starts), and an earlier broker crash resets its connection"
                .to_string()
        });
        // Show the action's effect at once: run through its millisecond.
        self.run_until(SimTime::from_ms(at_ms));
        Ok(InjectOutcome { at_ms, injection, warning })
    }

    /// The injected actions, in time order.
    pub fn injections(&self) -> &[Injection] {
        &self.injections
    }

    /// The scenario file of this run: the original text with the seed set to this run's seed and the injected
    /// actions appended. `kafkasim run` of it replays this run (same trace hash).
    pub fn scenario_text(&self) -> String {
        let with_seed = inject::effective_text(&self.base_text, &self.injections, Some(self.seed));
        let seed_took =
            kafkasim::scenario::parse(&self.file_name, &with_seed).is_ok_and(|s| s.seed == self.seed);
        let text = if seed_took {
            with_seed
        } else {
            // The seed line could not be placed (an unusual [scenario] table): say it instead.
            let plain = inject::effective_text(&self.base_text, &self.injections, None);
            format!("# Replay with --seed {}\n{plain}", self.seed)
        };
        let header = format!(
            "# Exported from the kafkasim explorer: `kafkasim run {} --hash` replays this run.\n",
            self.file_name
        );
        format!("{header}{text}")
    }

    // ---------- what the page reads ----------

    /// Readable events from position `from` of the shown trace on.
    pub fn events_from(&self, from: usize) -> Vec<EventLine> {
        let events = self.world().trace().events();
        events
            .iter()
            .enumerate()
            .skip(from.min(events.len()))
            .filter(|(_, e)| e.kind.is_readable())
            .map(|(index, e)| EventLine::new(index, e))
            .collect()
    }

    /// The timeline's markers from position `from` of the longest known trace (the front's) on: the shown
    /// point's past and, as far as explored, its future.
    pub fn markers_from(&self, from: usize) -> Vec<Marker> {
        events::markers(self.front.world.trace().events(), from)
    }

    /// The length of the longest known trace.
    pub fn known_trace_len(&self) -> usize {
        self.front.world.trace().events().len()
    }

    /// The last `limit` messages up to the shown point that pass `filter`.
    pub fn messages(&self, limit: usize, filter: MessageFilter) -> Vec<MessageLine> {
        events::last_messages(self.world().trace().events(), limit, filter)
    }

    /// Every checker and its first violation up to the shown point.
    pub fn checkers(&self) -> Vec<CheckerStatus> {
        events::checker_statuses(&self.shown().checkers.report)
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
mod tests;
