//! The browser explorer's WebAssembly facade: `#[wasm_bindgen]` wrappers around [`session::Session`], which
//! drives the same `kafkasim` library the CLI uses. Nothing here simulates anything itself; it converts between
//! JavaScript values and the library's types, and serialises the library's view and trace for the page.
//!
//! The page (`web/www/app.js`) builds an [`Explorer`] (`new Explorer(toml, file, seed)`, or
//! `Explorer.with_injections(toml, file, seed, json)` for a share link), moves it (`step`, `step_to_interesting`,
//! `run_until_ms`, `seek`, `seek_ms`, `step_back`, `explore`), breaks things (`inject`) and reads it (`view_json`,
//! `events_json`, `markers_json`, `messages_json`, `checkers_json`, `trace_hash`, `scenario_text`...).

pub mod events;
pub mod inject;
pub mod session;

use events::MessageFilter;
use inject::{InjectRequest, Injection};
use kafkasim::engine::time::SimTime;
use kafkasim::scenario::ScenarioError;
use session::Session;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Defined by the page before the module starts: shows the error panel with the scenario, the seed and a
    /// "copy repro" button.
    #[wasm_bindgen(js_namespace = globalThis, js_name = kafkasimPanic)]
    fn report_panic(message: &str);
}

/// Routes Rust panics to the page's error panel instead of a bare `unreachable` trap in the console. Called once
/// by the page after the module is initialised.
#[wasm_bindgen]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        if cfg!(target_arch = "wasm32") {
            report_panic(&message);
        } else {
            eprintln!("{message}");
        }
    }));
}

/// A scenario file that does not parse, with where and why, so the page can point at the line.
#[wasm_bindgen(getter_with_clone)]
#[derive(Clone, Debug)]
pub struct ScenarioFileError {
    /// The file name the page gave.
    pub file: String,
    /// 1-based line (0: not at one place).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What would be right, if the parser can say.
    pub help: Option<String>,
}

#[wasm_bindgen]
impl ScenarioFileError {
    /// `file:line:column: message`, with the help on a second line.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_text(&self) -> String {
        ScenarioError {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: self.message.clone(),
            help: self.help.clone(),
        }
        .to_string()
    }
}

impl From<ScenarioError> for ScenarioFileError {
    fn from(e: ScenarioError) -> Self {
        ScenarioFileError { file: e.file, line: e.line, column: e.column, message: e.message, help: e.help }
    }
}

/// The title, description, seed and duration of a scenario file, as JSON, without running it (the page uses it
/// to fill the seed field with the scenario's own seed).
#[wasm_bindgen]
pub fn scenario_summary_json(scenario_toml: &str, file_name: &str) -> Result<String, ScenarioFileError> {
    let scenario = kafkasim::scenario::parse(file_name, scenario_toml).map_err(ScenarioFileError::from)?;
    Ok(to_json(&session::summary(&scenario)))
}

/// One run of a scenario in the page.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Explorer {
    session: Session,
}

#[wasm_bindgen]
impl Explorer {
    /// Parses the scenario and builds its world at step 0. A parse error comes back as a
    /// [`ScenarioFileError`] with file, line, column, message and help.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario_toml: &str, file_name: &str, seed: u64) -> Result<Explorer, ScenarioFileError> {
        let session = Session::new(scenario_toml, file_name, seed)?;
        Ok(Explorer { session })
    }

    /// The session of a share link: the scenario with the actions injected earlier (`[{"at_ms": 2001,
    /// "action": "crash", "broker": 2}, ...]`), at step 0.
    pub fn with_injections(
        scenario_toml: &str,
        file_name: &str,
        seed: u64,
        injections_json: &str,
    ) -> Result<Explorer, ScenarioFileError> {
        let injections = Injection::list_from_json(injections_json).map_err(|e| ScenarioFileError {
            file: file_name.to_string(),
            line: 0,
            column: 0,
            message: format!("the link's injected actions are not understood: {e}"),
            help: None,
        })?;
        let session = Session::with_injections(scenario_toml, file_name, seed, injections)?;
        Ok(Explorer { session })
    }

    /// Handles one event. Returns false at the end of the run.
    pub fn step(&mut self) -> bool {
        self.session.step()
    }

    /// Handles up to `n` events; returns how many.
    pub fn step_n(&mut self, n: u32) -> u32 {
        self.session.step_n(u64::from(n)) as u32
    }

    /// Steps to the next readable event (at most `limit` events); returns how many events it handled.
    pub fn step_to_readable(&mut self, limit: u32) -> u32 {
        self.session.step_to_readable(u64::from(limit)) as u32
    }

    /// Steps to the next interesting event (fault, election, ISR change, rebalance, violation...; at most
    /// `limit` events); returns how many events it handled.
    pub fn step_to_interesting(&mut self, limit: u32) -> u32 {
        self.session.step_to_interesting(u64::from(limit)) as u32
    }

    /// Runs every event up to `ms` milliseconds of simulated time (capped at the scenario's end; fractions of a
    /// millisecond count).
    pub fn run_until_ms(&mut self, ms: f64) {
        self.session.run_until(micros(ms));
    }

    /// Like `run_until_ms`, but handles at most `max_steps` events; returns whether it reached `ms` (playback
    /// calls it in small batches so that a frame never takes too long).
    pub fn run_until_ms_capped(&mut self, ms: f64, max_steps: u32) -> bool {
        self.session.run_until_capped(micros(ms), u64::from(max_steps))
    }

    /// Runs to the scenario's end.
    pub fn run_to_end(&mut self) {
        self.session.run_to_end();
    }

    /// Goes to step `step` (backwards from the nearest checkpoint).
    pub fn seek(&mut self, step: f64) {
        self.session.seek(js_number_to_u64(step));
    }

    /// Goes to `ms` milliseconds of simulated time (the timeline slider).
    pub fn seek_ms(&mut self, ms: f64) {
        self.session.seek_time(micros(ms));
    }

    /// Goes back one event.
    pub fn step_back(&mut self) {
        self.session.step_back();
    }

    /// Computes up to `max_steps` events ahead of the shown point without showing them (the timeline marks
    /// what is to come). Returns whether the whole run is known.
    pub fn explore(&mut self, max_steps: u32) -> bool {
        self.session.explore(u64::from(max_steps))
    }

    /// Simulated time in milliseconds.
    pub fn now_ms(&self) -> f64 {
        self.session.world().now().0 as f64 / 1000.0
    }

    /// Events handled so far.
    pub fn steps(&self) -> f64 {
        self.session.world().steps() as f64
    }

    /// The scenario's duration in milliseconds.
    pub fn end_ms(&self) -> f64 {
        self.session.end().0 as f64 / 1000.0
    }

    /// How far ahead the run is known, in milliseconds.
    pub fn known_until_ms(&self) -> f64 {
        self.session.known_until().0 as f64 / 1000.0
    }

    /// Whether no event is left before the scenario's end.
    pub fn finished(&self) -> bool {
        self.session.finished()
    }

    /// The seed of this run, as decimal text (JavaScript numbers cannot hold every u64).
    pub fn seed_text(&self) -> String {
        self.session.seed().to_string()
    }

    /// How many actions were injected from the page.
    pub fn injected(&self) -> u32 {
        self.session.injections().len() as u32
    }

    /// The injected actions as JSON, for the share link.
    pub fn injections_json(&self) -> String {
        to_json(&self.session.injections())
    }

    /// The scenario file of this run, injected actions included: `kafkasim run` of it replays the run.
    pub fn scenario_text(&self) -> String {
        self.session.scenario_text()
    }

    /// The cluster now: `kafkasim::view::view` as JSON.
    pub fn view_json(&self) -> String {
        to_json(&kafkasim::view::view(self.session.world()))
    }

    /// The view as the page draws it: without the internal topics' partitions unless `internal` (fifty
    /// `__consumer_offsets` partitions would double what every frame serialises), without the epoch caches, and
    /// without per-partition positions and committed offsets unless `offsets` (a lag table is open); plus
    /// `hidden_internal`, how many partitions were left out.
    pub fn page_view_json(&self, internal: bool, offsets: bool) -> String {
        to_json(&page_view(self.session.world(), internal, offsets))
    }

    /// The readable trace events at or after position `from_index` of the trace, as a JSON array of
    /// `{index, at, at_us, step, type, text, mark?}`. Continue from `trace_len()` next time.
    pub fn events_json(&self, from_index: u32) -> String {
        to_json(&self.session.events_from(from_index as usize))
    }

    /// The timeline's markers (interesting events of the whole known run) from trace position `from_index`, as
    /// `{index, step, at_us, class, type, text}`. Continue from `known_trace_len()` next time.
    pub fn markers_json(&self, from_index: u32) -> String {
        to_json(&self.session.markers_from(from_index as usize))
    }

    /// The length of the longest known trace (the markers' cursor).
    pub fn known_trace_len(&self) -> u32 {
        self.session.known_trace_len() as u32
    }

    /// The last `limit` messages up to now, oldest first, as `{index, step, at_us, from, to, kind, summary,
    /// dropped?}`; replication fetches, heartbeats and metadata only when asked for.
    pub fn messages_json(&self, limit: u32, replication: bool, heartbeats: bool, metadata: bool) -> String {
        let filter = MessageFilter { replication, heartbeats, metadata };
        to_json(&self.session.messages(limit as usize, filter))
    }

    /// Every invariant checker with its first violation so far, as `[{name, violation?: {message, step,
    /// at_us}}]`.
    pub fn checkers_json(&self) -> String {
        to_json(&self.session.checkers())
    }

    /// The number of trace events (readable or not) so far.
    pub fn trace_len(&self) -> u32 {
        self.session.world().trace().events().len() as u32
    }

    /// The trace hash so far: at the end, what `kafkasim run SCENARIO --seed N --hash` prints.
    pub fn trace_hash(&self) -> String {
        self.session.world().trace().hash_hex()
    }

    /// The whole trace so far as JSON Lines, the format of `kafkasim run --trace FILE` (for export, and for
    /// finding where a browser run and a native run part ways).
    pub fn trace_jsonl(&self) -> String {
        self.session.world().trace().to_jsonl()
    }

    /// The scenario's title, description, seed and duration as JSON.
    pub fn summary_json(&self) -> String {
        to_json(&self.session.summary())
    }

    /// Injects an action at the next whole millisecond and runs to just after it: `{"action": "crash" |
    /// "restart" | "isolate", "broker": N}`, `{"action": "pause" | "resume", "broker": N}` or `"node": NAME`,
    /// `{"action": "cut", "from": NAME, "to": NAME, "one_way": bool}`, `{"action": "heal"}`,
    /// `{"action": "add_consumer", "like": NAME}`, `{"action": "start_consumer" | "stop_consumer" |
    /// "crash_consumer" | "restart_consumer", "consumer": NAME}`, `{"action": "create_partitions", "topic": NAME,
    /// "partitions": N}`. Returns `{at_ms, injection, warning?}` as JSON; a bad request is an error message.
    pub fn inject(&mut self, action_json: &str) -> Result<String, JsError> {
        let request = InjectRequest::from_json(action_json)
            .map_err(|e| JsError::new(&format!("bad action {action_json}: {e}")))?;
        let outcome = self.session.inject(request).map_err(|e| JsError::new(&e))?;
        Ok(to_json(&outcome))
    }

    /// Panics on purpose, so the tests can check that a panic shows the error panel.
    #[doc(hidden)]
    pub fn panic_for_tests(&self) {
        panic!("deliberate panic requested by a test at step {}", self.session.world().steps());
    }
}

/// A JavaScript number (milliseconds or a step count) as a u64: negative or NaN is 0, huge values saturate.
fn js_number_to_u64(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x as u64
    } else if x == f64::INFINITY {
        u64::MAX
    } else {
        0
    }
}

/// Milliseconds from JavaScript (fractions allowed: slow playback advances less than 1 ms per frame) as an instant.
fn micros(ms: f64) -> SimTime {
    SimTime(js_number_to_u64(ms * 1000.0))
}

/// The view the page draws each frame ([`Explorer::page_view_json`]): the epoch caches are never drawn, and
/// positions, committed offsets and coordinators' copies of the assignment only feed the lag tables (with three
/// groups reading 300 partitions they are most of the view).
pub fn page_view(
    world: &kafkasim::engine::world::World,
    internal: bool,
    offsets: bool,
) -> kafkasim::view::ClusterView {
    kafkasim::view::view_with(world, kafkasim::view::ViewOptions { internal, offsets, epoch_caches: false })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("views and trace lines always serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_numbers_become_u64_without_panicking() {
        assert_eq!(js_number_to_u64(-1.0), 0);
        assert_eq!(js_number_to_u64(f64::NAN), 0);
        assert_eq!(js_number_to_u64(1500.7), 1500);
        assert_eq!(js_number_to_u64(f64::INFINITY), u64::MAX);
    }

    #[test]
    fn a_bad_scenario_gives_file_line_column_and_message() {
        let err = Explorer::new("[scenario]\nname = 3\n", "bad.toml", 1).expect_err("name must be text");
        assert_eq!(err.file, "bad.toml");
        assert_eq!(err.line, 2);
        assert!(err.column >= 1);
        assert!(!err.message.is_empty());
        assert!(err.to_text().starts_with("bad.toml:2:"), "{}", err.to_text());
    }
}
