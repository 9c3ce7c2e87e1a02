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
use crate::engine::vec_map::VecSet;
use crate::engine::world::{BrokerSlot, Touched, World};
use crate::engine::NodeId;
use crate::kafka::metadata::PartitionMeta;
use crate::kafka::types::{BrokerId, Tp};

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

/// The partitions a step may have changed, with the controller's view of each.
pub type TouchedPartitions<'a> = &'a [(Tp, &'a PartitionMeta)];

/// One invariant.
pub trait Checker {
    /// Its name.
    fn name(&self) -> &'static str;
    /// Looks at the world after a step, given the trace events that step produced and the partitions whose
    /// replicas it may have changed ([`touched_partitions`]). Returns a violation.
    fn after_step(
        &mut self,
        world: &World,
        new_events: &[TraceEvent],
        touched: TouchedPartitions<'_>,
    ) -> Option<String>;
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
    done: VecSet<&'static str>,
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
        Self { list, done: VecSet::new(), cursor: 0, report: CheckReport::default() }
    }

    /// Runs every checker that has not failed yet on the world's latest step. New violations are also written to
    /// the trace, so the timeline shows where a run went wrong.
    pub fn after_step(&mut self, world: &mut World) {
        let events = world.trace().events();
        let new = &events[self.cursor.min(events.len())..];
        self.cursor = events.len();
        let touched = touched_partitions(world);
        let mut found = Vec::new();
        for c in &mut self.list {
            if self.done.contains(c.name()) {
                continue;
            }
            if let Some(message) = c.after_step(world, new, &touched) {
                self.done.insert(c.name());
                found.push(Violation { checker: c.name(), message, step: world.steps(), at: world.now() });
            }
        }
        for v in found {
            world.record(TraceKind::Violation { checker: v.checker, message: v.message.clone() });
            self.cursor += 1;
            self.report.violations.push(v);
        }
        world.clear_touched();
    }
}

/// Partitions that lost committed data on purpose: an unclean election, or a crash that lost a log's unflushed
/// tail. Agreement below the high watermark cannot hold for them afterwards.
pub(crate) fn lossy_partitions(events: &[TraceEvent]) -> VecSet<String> {
    let mut set = unclean_partitions(events);
    for e in events {
        if let TraceKind::LogTailLost { partitions, .. } = &e.kind {
            set.extend(partitions.iter().cloned());
        }
    }
    set
}

/// Partitions that had an unclean election: the durability promises do not hold for them after it.
pub(crate) fn unclean_partitions(events: &[TraceEvent]) -> VecSet<String> {
    crate::engine::vec_map::VecSet::from_iter(events.iter().filter_map(|e| match &e.kind {
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

/// The partitions whose replicas the steps since the last check may have changed, with the controller's view of
/// each: all of them after an action or a controller step, the ones a broker hosts after that broker's step, none
/// after a client's. A check of the replicas that held before holds again for a partition no step touched.
pub(crate) fn touched_partitions(world: &World) -> Vec<(Tp, &PartitionMeta)> {
    let image = &world.controller.image;
    match world.touched() {
        Touched::Nothing | Touched::Node(NodeId::Client(_)) => Vec::new(),
        Touched::Node(NodeId::Broker(id)) => match world.brokers.get(&id) {
            Some(BrokerSlot::Up(b)) => {
                b.partitions.keys().filter_map(|tp| image.partition(*tp).map(|p| (*tp, p))).collect()
            }
            _ => Vec::new(),
        },
        Touched::Node(NodeId::Controller) | Touched::Everything => image.partitions().collect(),
    }
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use super::*;
    use crate::engine::trace::TraceLevel;
    use crate::scenario::run::build_world;

    /// The scenario files, sorted.
    fn scenario_files() -> Vec<std::path::PathBuf> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("scenarios/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
    }

    /// The checkers of the replicas look only at what a step touched. For every scenario, with random faults on
    /// top of its own, they must report exactly what they report when made to look at everything after every
    /// step: the same violations, at the same steps, with the same words.
    #[test]
    fn looking_at_touched_partitions_finds_what_looking_at_everything_finds() {
        let mut violations = 0;
        for path in &scenario_files() {
            let scenario = crate::scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
            let seed = 1;
            let run = |everything: bool| {
                let mut world = build_world(&scenario, seed, TraceLevel::Summary);
                crate::cli::explore::inject_faults(&mut world, "mixed", scenario.duration.as_ms());
                let mut checkers = Checkers::new();
                while world.next_event_time().is_some_and(|t| t <= scenario.duration) {
                    world.step();
                    if everything {
                        world.touch_everything();
                    }
                    checkers.after_step(&mut world);
                }
                checkers.report.violations
            };
            let touched = run(false);
            assert_eq!(touched, run(true), "{} seed {seed} (faults: mixed)", path.display());
            violations += touched.len();
        }
        // Some runs break invariants (the KIP-101 scenario, unclean elections): the comparison saw violations.
        assert!(violations > 0, "no run had a violation, so the comparison showed nothing");
    }

    /// What the checkers of the replicas read: each live broker's partitions (role, epoch, offsets, last record)
    /// and the controller's leaders and ISRs.
    fn replica_state(world: &World) -> (Vec<(BrokerId, String)>, String) {
        let brokers = world
            .brokers
            .iter()
            .map(|(id, slot)| {
                let text = match slot {
                    BrokerSlot::Up(b) => b
                        .partitions
                        .values()
                        .map(|p| {
                            let leo = p.log.log_end_offset();
                            let last = p.log.record_at(leo - 1).map(|(e, r)| (e, r.id));
                            format!(
                                "{:?} {:?} e{} {}..{} hw{} {last:?};",
                                p.tp,
                                p.role,
                                p.leader_epoch,
                                p.log.log_start_offset(),
                                leo,
                                p.log.high_watermark()
                            )
                        })
                        .collect(),
                    BrokerSlot::Down { .. } => "down".to_string(),
                };
                (*id, text)
            })
            .collect();
        let image = &world.controller.image;
        let controller = image
            .partitions()
            .map(|(tp, p)| format!("{tp:?} {:?} {:?} {};", p.leader, p.isr, p.leader_epoch))
            .collect();
        (brokers, controller)
    }

    /// The contract the checkers rely on: a step that touched one node changed no other broker's replicas and,
    /// unless that node is the controller, not the controller's leaders and ISRs; a step that touched nothing
    /// changed none of them.
    #[test]
    fn a_step_changes_only_the_replicas_of_the_node_it_touched() {
        let mut single = 0u64;
        for path in &scenario_files() {
            let scenario = crate::scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
            let mut world = build_world(&scenario, 1, TraceLevel::Off);
            crate::cli::explore::inject_faults(&mut world, "mixed", scenario.duration.as_ms());
            let mut before = replica_state(&world);
            while world.next_event_time().is_some_and(|t| t <= scenario.duration) {
                world.clear_touched();
                world.step();
                let after = replica_state(&world);
                let touched = world.touched();
                let context = || format!("{} step {} touched {touched:?}", path.display(), world.steps());
                match touched {
                    Touched::Everything => {}
                    Touched::Nothing | Touched::Node(_) => {
                        single += 1;
                        if touched != Touched::Node(NodeId::Controller) {
                            assert_eq!(before.1, after.1, "{}: the controller's image changed", context());
                        }
                        for ((id, b), (_, a)) in before.0.iter().zip(&after.0) {
                            if touched != Touched::Node(NodeId::Broker(*id)) {
                                assert_eq!(b, a, "{}: broker {id}'s replicas changed", context());
                            }
                        }
                        assert_eq!(before.0.len(), after.0.len(), "{}: a broker came or went", context());
                    }
                }
                before = after;
            }
        }
        assert!(
            single > 10_000,
            "only {single} steps touched one node or none: the contract was hardly exercised"
        );
    }
}
