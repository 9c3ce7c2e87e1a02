//! Expectations about consumers and consumer groups: a group's state on its coordinator (state, generation,
//! assignor, members, assignment, committed offsets and lag), a consumer's own view (what it owns, its positions),
//! what a consumer did (records processed, commits that failed), and a group's delivery accounting (records
//! processed, duplicated, skipped).

use super::expect::{in_window, verdict, Count, GroupCheck, Verdict};
use crate::check::delivery::{skipped_records, DeliveryLedger};
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::group::find_group;
use crate::kafka::types::{ErrorCode, Offset};

/// The leader's high watermark of a partition named `topic-N`, as the controller's view places its leader.
pub fn high_watermark(world: &World, partition: &str) -> Option<Offset> {
    let (topic, n) = partition.rsplit_once('-')?;
    let n: u32 = n.parse().ok()?;
    let t = world.controller.image.topic_by_name(topic)?;
    let leader = t.partitions.get(n as usize)?.leader?;
    let tp = crate::kafka::types::Tp { topic: t.id, partition: n };
    world.broker(leader)?.partitions.get(&tp).map(|p| p.log.high_watermark())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    sort::sort(&mut v);
    v
}

/// Compares one field; pushes a problem when it differs.
fn compare<T: PartialEq + std::fmt::Debug>(
    problems: &mut Vec<String>,
    what: &str,
    want: Option<&T>,
    got: &T,
) {
    if let Some(w) = want {
        if w != got {
            problems.push(format!("{what} is {got:?}, expected {w:?}"));
        }
    }
}

/// A group's state on its coordinator.
pub fn check_group(world: &World, c: &GroupCheck) -> Verdict {
    let Some((coordinator, g, offsets)) = find_group(world, &c.group) else {
        let ok = c.state.as_deref() == Some("none");
        return verdict(ok, format!("group {} has no coordinator that knows it (state none)", c.group));
    };
    let mut problems = Vec::new();
    compare(&mut problems, "state", c.state.as_ref(), &g.state.name().to_string());
    compare(&mut problems, "generation", c.generation.as_ref(), &g.generation);
    compare(&mut problems, "assignor", c.protocol.as_ref(), &g.protocol_name.clone().unwrap_or_default());
    let members = sorted(g.members.iter().map(|m| m.client_id.to_string()).collect());
    compare(&mut problems, "members", c.members.clone().map(sorted).as_ref(), &members);
    let assignment: VecMap<String, Vec<String>> = g
        .members
        .iter()
        .map(|m| (m.client_id.to_string(), sorted(m.assignment.iter().map(ToString::to_string).collect())))
        .collect();
    let want_assignment =
        c.assignment.as_ref().map(|a| a.iter().map(|(k, v)| (k.clone(), sorted(v.clone()))).collect());
    compare(&mut problems, "assignment", want_assignment.as_ref(), &assignment);
    let committed_of = |p: &str| -> i64 {
        offsets.and_then(|o| o.iter().find(|(tp, _)| tp.to_string() == p)).map_or(-1, |(_, v)| v.offset)
    };
    if let Some(want) = &c.committed {
        let got: VecMap<String, i64> = want.keys().map(|p| (p.clone(), committed_of(p))).collect();
        compare(&mut problems, "committed offsets", Some(want), &got);
    }
    if let Some(want) = &c.lag {
        let got: VecMap<String, i64> = want
            .keys()
            .map(|p| {
                let hw = high_watermark(world, p).unwrap_or(-1);
                (p.clone(), (hw - committed_of(p).max(0)).max(0))
            })
            .collect();
        compare(&mut problems, "lag", Some(want), &got);
    }
    let state = format!(
        "group {} on broker {coordinator}: {}, generation {}, assignor {}, assignment {assignment:?}",
        c.group,
        g.state.name(),
        g.generation,
        g.protocol_name.as_deref().unwrap_or("-")
    );
    finish(problems, state)
}

fn finish(problems: Vec<String>, state: String) -> Verdict {
    if problems.is_empty() {
        verdict(true, state)
    } else {
        verdict(false, format!("{} ({state})", problems.join("; ")))
    }
}

/// `running`, `stopped`, `paused`, `crashed` or `not started`.
pub fn consumer_status(world: &World, c: &crate::kafka::consumer::Consumer) -> &'static str {
    if world.is_paused(crate::engine::NodeId::Client(c.id)) {
        "paused"
    } else if c.is_running() {
        "running"
    } else if c.crashed {
        "crashed"
    } else if c.started {
        "stopped"
    } else {
        "not started"
    }
}

/// A consumer's own view of itself.
pub fn check_consumer(
    world: &World,
    consumer: &str,
    owns: Option<&[String]>,
    position: Option<&VecMap<String, i64>>,
    status: Option<&str>,
    generation: Option<i32>,
) -> Verdict {
    let Some(c) = world.consumers().find(|c| &*c.name == consumer) else {
        return verdict(false, format!("no consumer {consumer}"));
    };
    let mut problems = Vec::new();
    let owned = sorted(c.owned_names());
    compare(&mut problems, "owned partitions", owns.map(|o| sorted(o.to_vec())).as_ref(), &owned);
    let actual_status = consumer_status(world, c).to_string();
    compare(&mut problems, "status", status.map(str::to_string).as_ref(), &actual_status);
    compare(&mut problems, "generation", generation.as_ref(), &c.generation);
    let positions: VecMap<String, i64> =
        c.partition_states().map(|(name, p)| (name, p.position.unwrap_or(-1))).collect();
    if let Some(want) = position {
        let got: VecMap<String, i64> =
            want.keys().map(|p| (p.clone(), positions.get(p).copied().unwrap_or(-1))).collect();
        compare(&mut problems, "positions", Some(want), &got);
    }
    let state = format!(
        "{consumer}: {actual_status}, generation {}, owns {owned:?}, positions {positions:?}",
        c.generation
    );
    finish(problems, state)
}

/// What a consumer did in a window: records processed or processed again, commits that failed.
pub fn check_consumer_outcome(
    world: &World,
    consumer: &str,
    outcome: &str,
    error: Option<ErrorCode>,
    window: (SimTime, SimTime),
    count: Count,
) -> Verdict {
    let events = world.trace().events();
    let n: u64 = match outcome {
        "duplicated" => DeliveryLedger::from_events(events)
            .duplicates
            .iter()
            .filter(|d| d.by == consumer && d.at >= window.0 && d.at <= window.1)
            .map(|d| (d.to - d.from + 1) as u64)
            .sum(),
        _ => events
            .iter()
            .filter(|e| in_window(e, window))
            .map(|e| match (&e.kind, outcome) {
                (TraceKind::Consumed { consumer: c, from, to, .. }, "consumed") if c == consumer => {
                    (to - from + 1) as u64
                }
                (TraceKind::CommitFailed { consumer: c, error: err, .. }, "commit_failed")
                    if c == consumer && error.is_none_or(|x| x == *err) =>
                {
                    1
                }
                _ => 0,
            })
            .sum(),
    };
    let what = match (outcome, error) {
        ("consumed", _) => "record(s) processed".to_string(),
        ("duplicated", _) => "record(s) processed again".to_string(),
        (_, Some(e)) => format!("commit(s) failed with {e}"),
        _ => "commit(s) failed".to_string(),
    };
    verdict(
        count.holds(n),
        format!("{consumer}: {n} {what} in {}..{} (expected {})", window.0, window.1, count.describe()),
    )
}

/// A group's delivery accounting over the whole run.
pub fn check_delivery(world: &World, group: &str, outcome: &str, count: Count) -> Verdict {
    let ledger = DeliveryLedger::from_events(world.trace().events());
    let (n, detail) = match outcome {
        "processed" => (ledger.processed(group), String::new()),
        "duplicated" => {
            let first = ledger.duplicates.iter().find(|d| d.group == group);
            (ledger.duplicated(group), first.map(|d| format!("; first: {}", d.cause)).unwrap_or_default())
        }
        _ => {
            let skips = ledger.skips(world);
            let first = skips.iter().find(|s| s.group == group);
            (
                skipped_records(&skips, group),
                first.map(|s| format!("; first: {}", s.cause)).unwrap_or_default(),
            )
        }
    };
    verdict(
        count.holds(n),
        format!("group {group}: {n} record(s) {outcome} (expected {}){detail}", count.describe()),
    )
}
