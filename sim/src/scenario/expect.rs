//! Expectations: what a scenario asserts about its run, without code. Each is checked against the world at an
//! instant (state), against the trace (events, client outcomes, admin results), or against the checkers.

use crate::check::CheckReport;
use crate::engine::action::Liveness;
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceEvent;
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::types::{BrokerId, ErrorCode, Tp};
use serde_json::Value;

/// A count condition: exactly, at least, at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// Exactly.
    pub exact: Option<u64>,
    /// At least.
    pub min: Option<u64>,
    /// At most.
    pub max: Option<u64>,
}

impl Count {
    /// Whether `n` satisfies it (no bound at all means "at least one").
    pub fn holds(&self, n: u64) -> bool {
        if self.exact.is_none() && self.min.is_none() && self.max.is_none() {
            return n >= 1;
        }
        self.exact.is_none_or(|e| n == e)
            && self.min.is_none_or(|m| n >= m)
            && self.max.is_none_or(|m| n <= m)
    }

    /// The condition in words.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(e) = self.exact {
            parts.push(format!("exactly {e}"));
        }
        if let Some(m) = self.min {
            parts.push(format!("at least {m}"));
        }
        if let Some(m) = self.max {
            parts.push(format!("at most {m}"));
        }
        if parts.is_empty() {
            parts.push("at least 1".to_string());
        }
        parts.join(" and ")
    }
}

/// What one `[[expect]]` checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Partition state from the controller's view.
    Partition {
        topic: String,
        partition: u32,
        leader: Option<Option<i32>>,
        isr: Option<Vec<i32>>,
        leader_epoch: Option<i32>,
    },
    /// One replica's log.
    Replica {
        topic: String,
        partition: u32,
        broker: i32,
        log_end_offset: Option<i64>,
        high_watermark: Option<i64>,
        log_start_offset: Option<i64>,
        epoch_cache: Option<Vec<(i32, i64)>>,
        log: Option<Vec<String>>,
    },
    /// A broker's liveness (or `fenced` by the controller).
    Broker { broker: i32, liveness: String },
    /// Trace events of a type, matching fields, in a window.
    Events { kind: String, fields: Vec<(String, Value)>, window: (SimTime, SimTime), count: Count },
    /// A producer's records by outcome (and error).
    Producer {
        producer: String,
        outcome: String,
        error: Option<ErrorCode>,
        window: (SimTime, SimTime),
        count: Count,
    },
    /// Whether an acknowledged record is missing from its partition.
    AckedWriteLost { topic: Option<String>, lost: bool },
    /// A checker's verdict.
    Checker { checker: String, violated: bool },
    /// An admin call's result: its error (None = success).
    Admin { op: String, error: Option<ErrorCode>, count: Count },
    /// A consumer group as its coordinator knows it.
    Group(Box<GroupCheck>),
    /// A consumer as it sees itself.
    Consumer {
        consumer: String,
        owns: Option<Vec<String>>,
        position: Option<VecMap<String, i64>>,
        status: Option<String>,
        generation: Option<i32>,
    },
    /// What a consumer did: records `consumed` or `duplicated`, commits that `commit_failed` (with `error`).
    ConsumerOutcome {
        consumer: String,
        outcome: String,
        error: Option<ErrorCode>,
        window: (SimTime, SimTime),
        count: Count,
    },
    /// A group's delivery accounting: records `processed`, `duplicated` or `skipped` over the whole run.
    GroupDelivery { group: String, outcome: String, count: Count },
}

/// What a group check compares (each `None` is not checked).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GroupCheck {
    /// The group.
    pub group: String,
    /// Its state, or `none` for no such group.
    pub state: Option<String>,
    /// Its generation.
    pub generation: Option<i32>,
    /// The selected assignor.
    pub protocol: Option<String>,
    /// Members' client names.
    pub members: Option<Vec<String>>,
    /// Client name → partitions.
    pub assignment: Option<VecMap<String, Vec<String>>>,
    /// Partition → committed offset (-1: none).
    pub committed: Option<VecMap<String, i64>>,
    /// Partition → high watermark − committed offset.
    pub lag: Option<VecMap<String, i64>>,
}

/// One expectation with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// When state is checked (the end of the run for history checks).
    pub at: SimTime,
    /// What.
    pub check: Check,
    /// The reader's note.
    pub note: Option<String>,
    /// `file:line` of the `[[expect]]`.
    pub origin: String,
}

impl Expectation {
    /// Whether the check reads state at `at` (so the run must pause there), rather than history at the end.
    pub fn is_state(&self) -> bool {
        matches!(
            self.check,
            Check::Partition { .. }
                | Check::Replica { .. }
                | Check::Broker { .. }
                | Check::Group(_)
                | Check::Consumer { .. }
        )
    }
}

/// The outcome of one expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Whether it held.
    pub ok: bool,
    /// What was expected and what was found, in words.
    pub message: String,
}

pub(super) fn verdict(ok: bool, message: String) -> Verdict {
    Verdict { ok, message }
}

/// Evaluates a state expectation on the world as it is now.
pub fn check_state(world: &World, check: &Check) -> Verdict {
    match check {
        Check::Partition { topic, partition, leader, isr, leader_epoch } => {
            check_partition(world, topic, *partition, *leader, isr.as_deref(), *leader_epoch)
        }
        Check::Replica { topic, partition, broker, .. } => {
            check_replica(world, topic, *partition, *broker, check)
        }
        Check::Broker { broker, liveness } => {
            let id = BrokerId(*broker);
            let actual = broker_state(world, id);
            verdict(actual == *liveness, format!("broker {broker} is {actual} (expected {liveness})"))
        }
        Check::Group(g) => super::expect_group::check_group(world, g),
        Check::Consumer { consumer, owns, position, status, generation } => {
            super::expect_group::check_consumer(
                world,
                consumer,
                owns.as_deref(),
                position.as_ref(),
                status.as_deref(),
                *generation,
            )
        }
        _ => verdict(false, "not a state check".to_string()),
    }
}

fn broker_state(world: &World, id: BrokerId) -> String {
    let fenced = world.controller.image.brokers.get(&id).is_some_and(|b| b.fenced);
    match world.liveness(id) {
        Liveness::Alive if fenced => "fenced".to_string(),
        Liveness::Alive => "alive".to_string(),
        Liveness::Crashed => "crashed".to_string(),
        Liveness::Stopped => "stopped".to_string(),
        Liveness::Paused => "paused".to_string(),
    }
}

fn check_partition(
    world: &World,
    topic: &str,
    partition: u32,
    leader: Option<Option<i32>>,
    isr: Option<&[i32]>,
    epoch: Option<i32>,
) -> Verdict {
    let Some(p) =
        world.controller.image.topic_by_name(topic).and_then(|t| t.partitions.get(partition as usize))
    else {
        return verdict(false, format!("{topic}-{partition} does not exist"));
    };
    let mut problems = Vec::new();
    let actual_leader = p.leader.map_or(-1, |b| b.0);
    if let Some(want) = leader {
        if want.unwrap_or(-1) != actual_leader {
            problems.push(format!("leader is {actual_leader}, expected {}", want.unwrap_or(-1)));
        }
    }
    let mut actual_isr: Vec<i32> = p.isr.iter().map(|b| b.0).collect();
    sort::sort(&mut actual_isr);
    if let Some(want) = isr {
        let mut want = want.to_vec();
        sort::sort(&mut want);
        if want != actual_isr {
            problems.push(format!("ISR is {actual_isr:?}, expected {want:?}"));
        }
    }
    if let Some(want) = epoch {
        if want != p.leader_epoch {
            problems.push(format!("leader epoch is {}, expected {want}", p.leader_epoch));
        }
    }
    let state =
        format!("{topic}-{partition}: leader {actual_leader}, ISR {actual_isr:?}, epoch {}", p.leader_epoch);
    if problems.is_empty() {
        verdict(true, state)
    } else {
        verdict(false, format!("{} ({state})", problems.join("; ")))
    }
}

fn check_replica(world: &World, topic: &str, partition: u32, broker: i32, check: &Check) -> Verdict {
    let Check::Replica { log_end_offset, high_watermark, log_start_offset, epoch_cache, log, .. } = check
    else {
        unreachable!("called with a replica check")
    };
    let Some(t) = world.controller.image.topic_by_name(topic) else {
        return verdict(false, format!("topic {topic} does not exist"));
    };
    let tp = Tp { topic: t.id, partition };
    let logs = world.broker_logs(BrokerId(broker));
    let Some((_, l)) = logs.into_iter().find(|(t, _)| *t == tp) else {
        return verdict(false, format!("broker {broker} has no replica of {topic}-{partition}"));
    };
    let mut problems = Vec::new();
    let mut cmp = |what: &str, want: Option<i64>, got: i64| {
        if let Some(w) = want {
            if w != got {
                problems.push(format!("{what} is {got}, expected {w}"));
            }
        }
    };
    cmp("log end offset", *log_end_offset, l.log_end_offset());
    cmp("high watermark", *high_watermark, l.high_watermark());
    cmp("log start offset", *log_start_offset, l.log_start_offset());
    let cache: Vec<(i32, i64)> = l.epoch_cache().iter().map(|e| (e.epoch, e.start_offset)).collect();
    if let Some(want) = epoch_cache {
        if *want != cache {
            problems.push(format!("epoch cache is {cache:?}, expected {want:?}"));
        }
    }
    let values: Vec<String> =
        l.records().map(|(_, _, r)| r.value.as_deref().unwrap_or("?").to_string()).collect();
    if let Some(want) = log {
        if *want != values {
            problems.push(format!("log is {values:?}, expected {want:?}"));
        }
    }
    let state = format!(
        "broker {broker} {topic}-{partition}: LEO {}, HW {}, epochs {cache:?}, log {values:?}",
        l.log_end_offset(),
        l.high_watermark()
    );
    if problems.is_empty() {
        verdict(true, state)
    } else {
        verdict(false, format!("{} ({state})", problems.join("; ")))
    }
}

/// Evaluates a history expectation at the end of the run.
pub fn check_history(world: &World, check: &Check, checks: &CheckReport) -> Verdict {
    match check {
        Check::Events { kind, fields, window, count } => {
            let n = world
                .trace()
                .events()
                .iter()
                .filter(|e| in_window(e, *window) && matches(e, kind, fields))
                .count() as u64;
            verdict(
                count.holds(n),
                format!("{n} {kind} event(s) in {}..{} (expected {})", window.0, window.1, count.describe()),
            )
        }
        Check::Producer { producer, outcome, error, window, count } => {
            let n = producer_records(world, producer, outcome, *error, *window);
            let what = error.map_or(outcome.clone(), |e| format!("{outcome} with {e}"));
            verdict(
                count.holds(n),
                format!("{producer}: {n} record(s) {what} (expected {})", count.describe()),
            )
        }
        Check::AckedWriteLost { topic, lost } => {
            let losses = crate::check::lost_acked_records(world, topic.as_deref());
            let actual = !losses.is_empty();
            let detail = if losses.is_empty() {
                "no acknowledged record is missing".to_string()
            } else if losses.len() > 5 {
                format!("{}; and {} more", losses[..5].join("; "), losses.len() - 5)
            } else {
                losses.join("; ")
            };
            verdict(
                actual == *lost,
                format!("acked write lost: {} (expected {}): {detail}", yes(actual), yes(*lost)),
            )
        }
        Check::Checker { checker, violated } => {
            let found: Vec<&String> = checks
                .violations
                .iter()
                .filter(|v| v.checker == checker.as_str())
                .map(|v| &v.message)
                .collect();
            let actual = !found.is_empty();
            let detail = found.first().map(|m| format!(": {m}")).unwrap_or_default();
            verdict(
                actual == *violated,
                format!("checker {checker} violated: {} (expected {}){detail}", yes(actual), yes(*violated)),
            )
        }
        Check::Admin { op, error, count } => {
            let n =
                world.admin().results.iter().filter(|(_, o, r)| o.name() == op && r.error == *error).count()
                    as u64;
            let what = error.map_or("succeeded".to_string(), |e| format!("failed with {e}"));
            verdict(count.holds(n), format!("{n} {op} call(s) {what} (expected {})", count.describe()))
        }
        Check::ConsumerOutcome { consumer, outcome, error, window, count } => {
            super::expect_group::check_consumer_outcome(world, consumer, outcome, *error, *window, *count)
        }
        Check::GroupDelivery { group, outcome, count } => {
            super::expect_group::check_delivery(world, group, outcome, *count)
        }
        _ => check_state(world, check),
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn in_window(e: &TraceEvent, (from, to): (SimTime, SimTime)) -> bool {
    e.at >= from && e.at <= to
}

fn matches(e: &TraceEvent, kind: &str, fields: &[(String, Value)]) -> bool {
    if e.kind.name() != kind {
        return false;
    }
    if fields.is_empty() {
        return true;
    }
    // Through the trace's own JSON text: `to_value` would compile a second copy of every trace type's serialiser
    // into the wasm bundle.
    let Ok(Value::Object(obj)) = serde_json::to_string(&e.kind).and_then(|text| serde_json::from_str(&text))
    else {
        return false;
    };
    fields.iter().all(|(k, v)| obj.get(k) == Some(v))
}

fn producer_records(
    world: &World,
    producer: &str,
    outcome: &str,
    error: Option<ErrorCode>,
    window: (SimTime, SimTime),
) -> u64 {
    use crate::engine::trace::TraceKind;
    world
        .trace()
        .events()
        .iter()
        .filter(|e| in_window(e, window))
        .map(|e| match (&e.kind, outcome) {
            (TraceKind::ProduceAcked { producer: p, records, .. }, "acked") if p == producer => {
                records.len() as u64
            }
            (TraceKind::ProduceFailed { producer: p, records, error: err, .. }, "failed")
                if p == producer && error.is_none_or(|x| x == *err) =>
            {
                records.len() as u64
            }
            (TraceKind::ProduceRetry { producer: p, error: err, .. }, "retried")
                if p == producer && error.is_none_or(|x| x == *err) =>
            {
                1
            }
            _ => 0,
        })
        .sum()
}
