//! Invariant checkers, one file each, run after every step of a scenario or an explored seed. Each reports its
//! first violation with the partition, the offsets and the step where it broke.
//!
//! The invariants come from `hachikuji/kafka-specification` (`KafkaReplication.tla`: `LeaderInIsr`,
//! `StrongIsr`, consistency below the high watermark) and from Kafka's documented guarantee that a write
//! acknowledged with acks=all survives as long as one in-sync replica does (`docs/design.html`).

mod acked_durable;
mod committed_processed;
pub mod delivery;
mod hw_monotonic;
mod in_order;
mod leader_in_isr;
mod one_leader_per_epoch;
mod one_owner;
mod replicas_agree;
mod strong_isr;

use crate::engine::time::SimTime;
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::world::World;
use crate::kafka::types::{BrokerId, Tp};
use std::collections::BTreeSet;

pub use acked_durable::lost_acked_records;

/// The checkers' names, as expectations refer to them.
pub const CHECKERS: &[&str] = &[
    acked_durable::NAME,
    replicas_agree::NAME,
    leader_in_isr::NAME,
    hw_monotonic::NAME,
    one_leader_per_epoch::NAME,
    strong_isr::NAME,
    one_owner::NAME,
    in_order::NAME,
    committed_processed::NAME,
];

/// One invariant.
pub trait Checker {
    /// Its name.
    fn name(&self) -> &'static str;
    /// Looks at the world after a step, given the trace events that step produced. Returns a violation.
    fn after_step(&mut self, world: &World, new_events: &[TraceEvent]) -> Option<String>;
    /// A copy with the same memory (checkers are part of a checkpoint).
    fn clone_box(&self) -> Box<dyn Checker>;
}

/// A violation found by a checker.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Violation {
    /// The checker.
    pub checker: &'static str,
    /// What broke, in words.
    pub message: String,
    /// The step at which it was first seen.
    pub step: u64,
    /// The instant.
    pub at: SimTime,
}

/// The checkers' verdicts so far.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// First violation of each checker that found one.
    pub violations: Vec<Violation>,
}

/// Every checker, run together.
pub struct Checkers {
    list: Vec<Box<dyn Checker>>,
    done: BTreeSet<&'static str>,
    cursor: usize,
    /// What they found.
    pub report: CheckReport,
}

impl Clone for Checkers {
    fn clone(&self) -> Self {
        Self {
            list: self.list.iter().map(|c| c.clone_box()).collect(),
            done: self.done.clone(),
            cursor: self.cursor,
            report: self.report.clone(),
        }
    }
}

impl std::fmt::Debug for Checkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checkers({} violations)", self.report.violations.len())
    }
}

impl Default for Checkers {
    fn default() -> Self {
        Self::new()
    }
}

impl Checkers {
    /// All checkers.
    pub fn new() -> Self {
        let list: Vec<Box<dyn Checker>> = vec![
            Box::new(acked_durable::AckedDurable::default()),
            Box::new(replicas_agree::ReplicasAgree::default()),
            Box::new(leader_in_isr::LeaderInIsr),
            Box::new(hw_monotonic::HwMonotonic::default()),
            Box::new(one_leader_per_epoch::OneLeaderPerEpoch::default()),
            Box::new(strong_isr::StrongIsr::default()),
            Box::new(one_owner::OneOwnerPerPartition),
            Box::new(in_order::InOrderPerPartition::default()),
            Box::new(committed_processed::CommittedWereProcessed::default()),
        ];
        Self { list, done: BTreeSet::new(), cursor: 0, report: CheckReport::default() }
    }

    /// Runs every checker that has not failed yet on the world's latest step. New violations are also written to
    /// the trace, so the timeline shows where a run went wrong.
    pub fn after_step(&mut self, world: &mut World) {
        let events = world.trace().events();
        let new: Vec<TraceEvent> = events[self.cursor.min(events.len())..].to_vec();
        self.cursor = events.len();
        let mut found = Vec::new();
        for c in &mut self.list {
            if self.done.contains(c.name()) {
                continue;
            }
            if let Some(message) = c.after_step(world, &new) {
                self.done.insert(c.name());
                found.push(Violation { checker: c.name(), message, step: world.steps(), at: world.now() });
            }
        }
        for v in found {
            world.record(TraceKind::Violation { checker: v.checker, message: v.message.clone() });
            self.cursor += 1;
            self.report.violations.push(v);
        }
    }
}

/// Partitions that lost committed data on purpose: an unclean election, or a crash that lost a log's unflushed
/// tail. Agreement below the high watermark cannot hold for them afterwards.
pub(crate) fn lossy_partitions(events: &[TraceEvent]) -> BTreeSet<String> {
    let mut set = unclean_partitions(events);
    for e in events {
        if let TraceKind::LogTailLost { partitions, .. } = &e.kind {
            set.extend(partitions.iter().cloned());
        }
    }
    set
}

/// Partitions that had an unclean election: the durability promises do not hold for them after it.
pub(crate) fn unclean_partitions(events: &[TraceEvent]) -> BTreeSet<String> {
    crate::engine::sort::btree_set(events.iter().filter_map(|e| match &e.kind {
        TraceKind::LeaderElected {
            partition, election: crate::engine::trace::ElectionKind::Unclean, ..
        } => Some(partition.clone()),
        _ => None,
    }))
}

/// Every partition with its controller-side leader and ISR.
pub(crate) fn partitions(world: &World) -> Vec<(Tp, String, Option<BrokerId>, Vec<BrokerId>)> {
    let image = &world.controller.image;
    image.partitions().map(|(tp, p)| (tp, image.tp_name(tp), p.leader, p.isr.clone())).collect()
}
