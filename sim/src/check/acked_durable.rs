//! No acknowledged write is lost where the configuration promises durability: a record acknowledged with
//! acks=all is on every in-sync replica, so any leader the controller elects cleanly has it at the same offset
//! (`docs/design.html` "Replicated Logs"; Jepsen's *lost write*). Partitions that had an unclean election are
//! exempt from then on — losing data there is the documented price of availability. Records below the leader's log
//! start offset were deleted on purpose (DeleteRecords, retention) and are not lost.

use super::{partitions, unclean_partitions, Checker, TouchedPartitions};
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::types::{Offset, RecordId};

/// The checker's name.
pub const NAME: &str = "no-acked-write-lost";

/// Remembers acks=all acknowledgements per partition.
#[derive(Clone, Default)]
pub struct AckedDurable {
    acked: VecMap<String, Vec<(Offset, RecordId)>>,
    history: Vec<TraceEvent>,
}

impl Checker for AckedDurable {
    fn name(&self) -> &'static str {
        NAME
    }

    fn clone_box(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }

    fn after_step(
        &mut self,
        world: &World,
        new_events: &[TraceEvent],
        _touched: TouchedPartitions<'_>,
    ) -> Option<String> {
        let mut leader_changed = false;
        for e in new_events {
            match &e.kind {
                TraceKind::ProduceAcked { partition, base_offset, records, acks: -1, .. } => {
                    let list = self.acked.entry(partition.clone()).or_default();
                    list.extend(records.iter().enumerate().map(|(i, r)| (base_offset + i as Offset, *r)));
                }
                TraceKind::BecomeLeader { .. }
                | TraceKind::LeaderElected { .. }
                | TraceKind::Truncated { .. } => {
                    leader_changed = true;
                }
                _ => {}
            }
            if matches!(e.kind, TraceKind::LeaderElected { .. }) {
                self.history.push(e.clone());
            }
        }
        if !leader_changed {
            return None;
        }
        let unclean = unclean_partitions(&self.history);
        for (_, name, leader, _) in partitions(world) {
            let (Some(leader), Some(acked)) = (leader, self.acked.get(&name)) else {
                continue;
            };
            if unclean.contains(&name) {
                continue;
            }
            let Some(broker) = world.broker(leader) else {
                continue;
            };
            let Some(p) = broker.partitions.values().find(|p| *p.name == *name) else {
                continue;
            };
            if !p.is_leader() {
                continue;
            }
            let start = p.log.log_start_offset();
            for (offset, id) in acked.iter().filter(|(o, _)| *o >= start) {
                let present = p.log.record_at(*offset).is_some_and(|(_, r)| r.id == *id);
                if !present {
                    return Some(format!(
                        "{name}: record #{} of {} was acknowledged with acks=all at offset {offset}, but leader {leader} \
                         (log end offset {}) does not have it",
                        id.seq,
                        world.node_name(crate::engine::NodeId::Client(id.producer)),
                        p.log.log_end_offset()
                    ));
                }
            }
        }
        None
    }
}

/// Acknowledged records (any acks) missing now from their partition: from the live leader's log, or, when the
/// partition has no live leader, from every replica's disk. Each entry says which record and where.
pub fn lost_acked_records(world: &World, topic: Option<&str>) -> Vec<String> {
    let mut lost = Vec::new();
    for e in world.trace().events() {
        let TraceKind::ProduceAcked { producer, partition, base_offset, records, acks } = &e.kind else {
            continue;
        };
        if topic.is_some_and(|t| !partition.starts_with(&format!("{t}-"))) {
            continue;
        }
        for (i, id) in records.iter().enumerate() {
            let offset = if *base_offset >= 0 { Some(base_offset + i as Offset) } else { None };
            if !record_survives(world, partition, offset, *id) {
                let at = offset.map_or("(acks=0: no offset)".to_string(), |o| format!("offset {o}"));
                lost.push(format!(
                    "{producer} record #{} on {partition} {at}, acked with acks={acks} at {}",
                    id.seq, e.at
                ));
            }
        }
    }
    lost
}

fn record_survives(world: &World, partition: &str, offset: Option<Offset>, id: RecordId) -> bool {
    let parts = partitions(world);
    let Some((tp, _, leader, _)) = parts.iter().find(|(_, n, _, _)| n == partition) else {
        return false;
    };
    let live_leader = leader.and_then(|l| world.broker(l).map(|_| l));
    let brokers: Vec<_> = match live_leader {
        Some(l) => vec![l],
        None => world.brokers.keys().copied().collect(),
    };
    brokers.into_iter().any(|b| {
        world.broker_log(b, *tp).is_some_and(|log| {
            match offset {
                // Below the log start offset: deleted on purpose (DeleteRecords, retention), not lost.
                Some(o) => o < log.log_start_offset() || log.record_at(o).is_some_and(|(_, r)| r.id == id),
                None => log.records().any(|(_, _, r)| r.id == id),
            }
        })
    })
}
