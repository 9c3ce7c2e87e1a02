//! `kafkasim explore SCENARIO --seeds A..B [--faults PROFILE] [--jobs N]`: runs many seeds of a scenario with
//! randomised faults on top of its timeline, in parallel, and reports every invariant violation with the
//! command that replays it. Each seed's faults are drawn from that seed's fault stream, so a report is exact.

use super::{resolve_scenario, CliError};
use crate::check::Checkers;
use crate::engine::action::{Action, ConsumerOp, TimedAction};
use crate::engine::rng::{uniform_inclusive, Stream};
use crate::engine::trace::TraceLevel;
use crate::engine::world::World;
use crate::kafka::types::BrokerId;
use crate::scenario::expect::Check;
use crate::scenario::parse;
use crate::scenario::run::{advance, build_world};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Fault profiles.
pub const PROFILES: &[&str] = &["none", "crash", "partition", "pause", "consumers", "mixed"];

/// Arguments of `kafkasim explore`.
#[derive(Debug, Clone)]
pub struct ExploreArgs {
    /// Scenario path or name.
    pub scenario: String,
    /// `A..B` (inclusive of A, exclusive of B) or a single seed.
    pub seeds: String,
    /// Fault profile.
    pub faults: String,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
    /// Print each seed's readable timeline, injected faults included (for replaying one seed).
    pub timeline: bool,
}

/// One seed's outcome.
#[derive(Debug, Clone)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// (checker, message, time) of each violation the scenario does not expect.
    pub violations: Vec<(String, String, String)>,
    /// Events handled.
    pub steps: u64,
    /// The readable timeline, when asked for.
    pub timeline: Option<String>,
}

/// Parses `A..B` or `N`.
pub fn parse_seeds(s: &str) -> Result<(u64, u64), CliError> {
    let bad = || CliError::bad_input(format!("--seeds takes A..B (e.g. 0..1000) or one seed, got `{s}`"));
    match s.split_once("..") {
        Some((a, b)) => {
            let (a, b) =
                (a.trim().parse::<u64>().map_err(|_| bad())?, b.trim().parse::<u64>().map_err(|_| bad())?);
            if b <= a {
                return Err(CliError::bad_input(format!(
                    "--seeds {s} is empty: the end must be larger than the start"
                )));
            }
            Ok((a, b))
        }
        None => s.trim().parse::<u64>().map(|a| (a, a + 1)).map_err(|_| bad()),
    }
}

/// Adds the profile's random faults to a world, drawn from its fault stream.
pub fn inject_faults(world: &mut World, profile: &str, duration_ms: u64) {
    let brokers: Vec<BrokerId> = world.brokers.keys().copied().collect();
    if profile == "none" || brokers.is_empty() || duration_ms < 4_000 {
        return;
    }
    let consumers: Vec<(String, crate::kafka::types::ClientId)> =
        world.consumers().map(|c| (c.name.to_string(), c.id)).collect();
    let rng = world.rng(Stream::Faults);
    let n = uniform_inclusive(rng, 1, 3);
    let mut planned = Vec::new();
    // Broker faults are kinds 0-2; consumer faults (crash and restart, GC pause, close and start) 3-5.
    let last_kind = if consumers.is_empty() { 2 } else { 5 };
    for _ in 0..n {
        let kind = match profile {
            "crash" => 0,
            "partition" => 1,
            "pause" => 2,
            "consumers" if consumers.is_empty() => return,
            "consumers" => uniform_inclusive(rng, 3, 5),
            _ => uniform_inclusive(rng, 0, last_kind),
        };
        let broker = brokers[uniform_inclusive(rng, 0, brokers.len() as u64 - 1) as usize];
        let (consumer, consumer_id) = consumers
            .get(uniform_inclusive(rng, 0, consumers.len().saturating_sub(1) as u64) as usize)
            .cloned()
            .unwrap_or((String::new(), crate::kafka::types::ClientId(0)));
        let start = uniform_inclusive(rng, 1_000, duration_ms / 2);
        let length = uniform_inclusive(rng, 500, (duration_ms / 3).max(1_000));
        let end = (start + length).min(duration_ms.saturating_sub(500));
        let consumer_op = |op| Action::Consumer { name: consumer.clone(), op };
        let (begin, finish) = match kind {
            0 => (Action::Crash { broker, lose_tail_records: 0 }, Action::Restart { broker }),
            1 => (Action::Isolate { broker }, Action::HealAll),
            2 => {
                let node = crate::engine::NodeId::Broker(broker);
                (Action::Pause { node }, Action::Resume { node })
            }
            3 => (consumer_op(ConsumerOp::Crash), consumer_op(ConsumerOp::Restart)),
            4 => {
                let node = crate::engine::NodeId::Client(consumer_id);
                (Action::Pause { node }, Action::Resume { node })
            }
            _ => (consumer_op(ConsumerOp::Stop), consumer_op(ConsumerOp::Start)),
        };
        planned.push(TimedAction { at_ms: start, action: begin, note: Some("explore: random fault".into()) });
        planned.push(TimedAction { at_ms: end, action: finish, note: None });
    }
    for a in planned {
        world.schedule(a);
    }
}

/// Runs one seed: the scenario's timeline plus the profile's faults, checkers on.
pub fn run_seed(
    text: &str,
    file: &str,
    seed: u64,
    profile: &str,
    timeline: bool,
) -> Result<SeedResult, CliError> {
    let scenario = parse(file, text).map_err(|e| CliError::bad_input(e.to_string()))?;
    let mut world = build_world(&scenario, seed, TraceLevel::Summary);
    inject_faults(&mut world, profile, scenario.duration.as_ms());
    let mut checkers = Checkers::new();
    advance(&mut world, Some(&mut checkers), scenario.duration);
    let expected: Vec<&str> = scenario
        .expectations
        .iter()
        .filter_map(|e| match &e.check {
            Check::Checker { checker, violated: true } => Some(checker.as_str()),
            _ => None,
        })
        .collect();
    let violations = checkers
        .report
        .violations
        .iter()
        .filter(|v| !expected.contains(&v.checker))
        .map(|v| (v.checker.to_string(), v.message.clone(), v.at.to_string()))
        .collect();
    let timeline = timeline.then(|| {
        let mut t = crate::scenario::run::readable_timeline(&world);
        t.push_str(&super::groups::render(&world));
        t
    });
    Ok(SeedResult { seed, violations, steps: world.steps(), timeline })
}

/// Runs every seed in parallel; returns the report and whether no violation was found.
pub fn execute(args: &ExploreArgs) -> Result<(String, bool), CliError> {
    if !PROFILES.contains(&args.faults.as_str()) {
        return Err(CliError::bad_input(format!(
            "unknown fault profile `{}`; use one of {}",
            args.faults,
            PROFILES.join(", ")
        )));
    }
    let (from, to) = parse_seeds(&args.seeds)?;
    let path = resolve_scenario(&args.scenario)?;
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::bad_input(format!("cannot read {file}: {e}")))?;
    // Parse once up front so a bad file is reported once, with exit code 2.
    parse(&file, &text).map_err(|e| CliError::bad_input(e.to_string()))?;
    let jobs =
        args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let next = AtomicU64::new(from);
    let results = Mutex::new(Vec::new());
    let total = to - from;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= to {
                    break;
                }
                let r = run_seed(&text, &file, seed, &args.faults, args.timeline);
                let mut all = results.lock().expect("no worker panics while holding the lock");
                all.push(r);
                progress(all.len() as u64, total);
            });
        }
    });
    let mut results: Vec<SeedResult> =
        results.into_inner().expect("workers finished").into_iter().collect::<Result<_, _>>()?;
    results.sort_by_key(|r| r.seed);
    Ok(render(&results, &file, &args.faults))
}

fn progress(done: u64, total: u64) {
    let mut err = std::io::stderr();
    if !err.is_terminal() {
        return;
    }
    let width = 30;
    let filled = (done * width / total.max(1)) as usize;
    let _ =
        write!(err, "\r[{}{}] {done}/{total} seeds", "=".repeat(filled), " ".repeat(width as usize - filled));
    if done == total {
        let _ = writeln!(err);
    }
}

fn render(results: &[SeedResult], file: &str, profile: &str) -> (String, bool) {
    let mut out = String::new();
    for r in results {
        if let Some(t) = &r.timeline {
            out.push_str(&format!("# seed {} with faults `{profile}`\n{t}\n", r.seed));
        }
    }
    let bad: Vec<&SeedResult> = results.iter().filter(|r| !r.violations.is_empty()).collect();
    for r in &bad {
        for (checker, message, at) in &r.violations {
            out.push_str(&format!("seed {}: {checker} violated at {at}: {message}\n", r.seed));
        }
        out.push_str(&format!("  replay: kafkasim explore {file} --seeds {} --faults {profile}\n", r.seed));
    }
    let steps: u64 = results.iter().map(|r| r.steps).sum();
    out.push_str(&format!(
        "{} seed(s) explored with faults `{profile}`: {} with violations, {steps} events in all\n",
        results.len(),
        bad.len()
    ));
    (out, bad.is_empty())
}
