//! Replicas agree below the high watermark: every record a replica holds below its own high watermark is the
//! record the current leader holds at that offset (same epoch, same producer record). This is what lets a
//! consumer read committed data from any replica; KIP-101 and KIP-279 fixed ways it used to break.
//! Partitions with an unclean election or a lost log tail are exempt from then on.

use super::{lossy_partitions, partitions, Checker};
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::world::World;
use crate::kafka::types::{BrokerId, Offset, Tp};
use std::collections::BTreeMap;

/// The checker's name.
pub const NAME: &str = "replicas-agree-below-hw";

/// How far each replica has been compared.
#[derive(Clone, Default)]
pub struct ReplicasAgree {
    checked: BTreeMap<(BrokerId, Tp), Offset>,
    elections: Vec<TraceEvent>,
}

impl Checker for ReplicasAgree {
    fn name(&self) -> &'static str {
        NAME
    }

    fn clone_box(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }

    fn after_step(&mut self, world: &World, new: &[TraceEvent]) -> Option<String> {
        self.elections.extend(
            new.iter()
                .filter(|e| matches!(e.kind, TraceKind::LeaderElected { .. } | TraceKind::LogTailLost { .. }))
                .cloned(),
        );
        let unclean = lossy_partitions(&self.elections);
        for (tp, name, leader, _) in partitions(world) {
            let Some(leader) = leader else { continue };
            let Some(lb) = world.broker(leader) else { continue };
            let Some(lp) = lb.partitions.get(&tp).filter(|p| p.is_leader()) else {
                continue;
            };
            if unclean.contains(&name) {
                continue;
            }
            for (id, slot) in &world.brokers {
                let crate::engine::world::BrokerSlot::Up(b) = slot else {
                    continue;
                };
                let Some(p) = b.partitions.get(&tp) else { continue };
                let hw = p.log.high_watermark();
                let from =
                    self.checked.get(&(*id, tp)).copied().unwrap_or(0).min(hw).max(p.log.log_start_offset());
                for o in from..hw {
                    let ours = p.log.record_at(o);
                    let theirs = lp.log.record_at(o);
                    let same = match (ours, theirs) {
                        (Some((e1, r1)), Some((e2, r2))) => e1 == e2 && r1.id == r2.id,
                        (None, _) => true,
                        (Some(_), None) => o < lp.log.log_start_offset(),
                    };
                    if !same {
                        return Some(format!(
                            "{name}: broker {id} has a different record at offset {o} than leader {leader}, below its high \
                             watermark {hw}"
                        ));
                    }
                }
                self.checked.insert((*id, tp), hw);
            }
        }
        None
    }
}
