//! A leader's high watermark never decreases while it stays leader in the same epoch
//! (`Partition.maybeIncrementLeaderHW` only moves it forward; `KafkaReplication.tla` assumes it).

use super::{Checker, TouchedPartitions};
use crate::engine::trace::TraceEvent;
use crate::engine::vec_map::VecMap;
use crate::engine::world::{BrokerSlot, Touched, World};
use crate::engine::NodeId;
use crate::kafka::types::{BrokerId, LeaderEpoch, Offset, Tp};

/// The checker's name.
pub const NAME: &str = "leader-hw-monotonic";

/// Last HW seen per (broker, partition, epoch) while leading.
#[derive(Clone, Default)]
pub struct HwMonotonic {
    seen: VecMap<(BrokerId, Tp), (LeaderEpoch, Offset)>,
}

impl Checker for HwMonotonic {
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
        _touched: TouchedPartitions<'_>,
    ) -> Option<String> {
        // Only the broker that stepped can have moved its high watermarks.
        let only = match world.touched() {
            Touched::Everything => None,
            Touched::Node(NodeId::Broker(id)) => Some(id),
            Touched::Nothing | Touched::Node(_) => return None,
        };
        for (id, slot) in &world.brokers {
            if only.is_some_and(|o| o != *id) {
                continue;
            }
            let BrokerSlot::Up(b) = slot else { continue };
            for (tp, p) in b.partitions.iter().filter(|(_, p)| p.is_leader()) {
                let hw = p.log.high_watermark();
                let key = (*id, *tp);
                if let Some((epoch, last)) = self.seen.get(&key) {
                    if *epoch == p.leader_epoch && hw < *last {
                        return Some(format!("{}: leader {id} moved its high watermark back from {last} to {hw} in epoch {epoch}", p.name));
                    }
                }
                self.seen.insert(key, (p.leader_epoch, hw));
            }
        }
        None
    }
}
