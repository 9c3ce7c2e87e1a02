//! At most one leader per partition epoch: two brokers must never both become leader in the same leader epoch
//! (the fencing that KIP-320's epochs rely on).

use super::{Checker, TouchedPartitions};
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::types::{BrokerId, LeaderEpoch};

/// The checker's name.
pub const NAME: &str = "one-leader-per-epoch";

/// Leaders seen per partition and epoch (by partition first: a partition's epochs only grow, so each new one is
/// appended to its sorted vector instead of shifting the others).
#[derive(Clone, Default)]
pub struct OneLeaderPerEpoch {
    leaders: VecMap<String, VecMap<LeaderEpoch, BrokerId>>,
}

impl Checker for OneLeaderPerEpoch {
    fn name(&self) -> &'static str {
        NAME
    }

    fn clone_box(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }

    fn after_step(
        &mut self,
        _world: &World,
        new: &[TraceEvent],
        _touched: TouchedPartitions<'_>,
    ) -> Option<String> {
        for e in new {
            if let TraceKind::BecomeLeader { broker, partition, leader_epoch, .. } = &e.kind {
                let epochs = match self.leaders.get_mut(partition.as_str()) {
                    Some(epochs) => epochs,
                    None => self.leaders.get_or_default(partition.clone()),
                };
                match epochs.get(leader_epoch) {
                    Some(other) if other != broker => {
                        return Some(format!(
                            "{partition}: brokers {other} and {broker} both led in epoch {leader_epoch}"
                        ));
                    }
                    _ => {
                        epochs.insert(*leader_epoch, *broker);
                    }
                }
            }
        }
        None
    }
}
