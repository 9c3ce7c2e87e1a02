//! Replicas agree below the high watermark: every record an in-sync replica holds below its own high watermark is
//! the record the current leader holds at that offset (same epoch, same producer record). This is what lets a
//! consumer read committed data from any in-sync replica; KIP-101 and KIP-279 fixed ways it used to break.
//! Only members of the ISR are held to it: a replica that returns after a crash, an unclean election or a lost log
//! tail may disagree until it has truncated and caught up, which is what it must do before it rejoins the ISR.

use super::{Checker, TouchedPartitions};
use crate::engine::trace::TraceEvent;
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::tp_map::TpMap;
use crate::kafka::types::{BrokerId, Offset};

/// The checker's name.
pub const NAME: &str = "replicas-agree-below-hw";

/// How far each replica has been compared: by partition, then broker (dense by partition because every step
/// looks up every replica of the partitions it touched).
#[derive(Clone, Default)]
pub struct ReplicasAgree {
    checked: TpMap<VecMap<BrokerId, Offset>>,
}

impl Checker for ReplicasAgree {
    fn name(&self) -> &'static str {
        NAME
    }

    fn clone_box(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }

    fn after_step(
        &mut self,
        world: &World,
        _new: &[TraceEvent],
        touched: TouchedPartitions<'_>,
    ) -> Option<String> {
        for &(tp, meta) in touched {
            let (Some(leader), isr) = (meta.leader, &meta.isr) else { continue };
            let Some(lb) = world.broker(leader) else { continue };
            let Some(lp) = lb.partitions.get(&tp).filter(|p| p.is_leader()) else {
                continue;
            };
            for (id, slot) in &world.brokers {
                let crate::engine::world::BrokerSlot::Up(b) = slot else {
                    continue;
                };
                let Some(p) = b.partitions.get(&tp) else { continue };
                if !isr.contains(id) {
                    // Out of the ISR: it may disagree until it has truncated. Once it rejoins, its whole log is
                    // compared again (what agreed before may have diverged since).
                    if let Some(by_broker) = self.checked.get_mut(&tp) {
                        by_broker.remove(id);
                    }
                    continue;
                }
                let hw = p.log.high_watermark();
                let checked = self.checked.get_or_insert_with(tp, VecMap::new);
                let done = checked.get(id).copied();
                let from = done.unwrap_or(0).min(hw).max(p.log.log_start_offset());
                if from == hw && done == Some(hw) {
                    continue;
                }
                for o in from..hw {
                    let ours = p.log.record_at(o);
                    let theirs = lp.log.record_at(o);
                    let same = match (ours, theirs) {
                        (Some((e1, r1)), Some((e2, r2))) => e1 == e2 && r1.id == r2.id,
                        (None, _) => true,
                        (Some(_), None) => o < lp.log.log_start_offset(),
                    };
                    if !same {
                        let name = world.controller.image.tp_name(tp);
                        return Some(format!(
                            "{name}: broker {id} has a different record at offset {o} than leader {leader}, below its high \
                             watermark {hw}"
                        ));
                    }
                }
                checked.insert(*id, hw);
            }
        }
        None
    }
}
