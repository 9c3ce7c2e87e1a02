//! `LeaderInIsr` (`KafkaReplication.tla`): the controller never names a leader outside the partition's ISR.

use super::{partitions, Checker, TouchedPartitions};
use crate::engine::trace::TraceEvent;
use crate::engine::world::{Touched, World};
use crate::engine::NodeId;

/// The checker's name.
pub const NAME: &str = "leader-in-isr";

/// Stateless.
#[derive(Clone)]
pub struct LeaderInIsr;

impl Checker for LeaderInIsr {
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
        // Only the controller changes leaders and ISRs.
        if !matches!(world.touched(), Touched::Everything | Touched::Node(NodeId::Controller)) {
            return None;
        }
        for (_, name, leader, isr) in partitions(world) {
            if let Some(l) = leader {
                if !isr.contains(&l) {
                    return Some(format!("{name}: leader {l} is not in the ISR {isr:?}"));
                }
            }
        }
        None
    }
}
