//! `StrongIsr` (`KafkaReplication.tla` L328-340): every record below the high watermark of any broker that
//! believes it leads a partition (zombies included) is on every member of the controller's ISR.
//! Partitions with an unclean election or a lost log tail are exempt.

use super::{lossy_partitions, Checker, TouchedPartitions};
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::vec_map::VecSet;
use crate::engine::world::{BrokerSlot, Touched, World};
use crate::engine::NodeId;

/// The checker's name.
pub const NAME: &str = "strong-isr";

/// Checks the last few records below each presumed leader's HW so that it stays cheap. It keeps the partitions
/// that lost data on purpose (unclean elections, lost log tails) as it sees them, instead of rescanning the whole
/// trace on every step, which made long runs quadratic.
#[derive(Clone, Default)]
pub struct StrongIsr {
    lossy: VecSet<String>,
}

/// How many offsets below a leader's HW are compared on each step.
const WINDOW: i64 = 64;

impl Checker for StrongIsr {
    fn name(&self) -> &'static str {
        NAME
    }

    fn clone_box(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }

    fn after_step(
        &mut self,
        world: &World,
        new: &[TraceEvent],
        touched: TouchedPartitions<'_>,
    ) -> Option<String> {
        if new.is_empty() {
            return None;
        }
        if new
            .iter()
            .any(|e| matches!(e.kind, TraceKind::LeaderElected { .. } | TraceKind::LogTailLost { .. }))
        {
            self.lossy.extend(lossy_partitions(new));
        }
        let image = &world.controller.image;
        // After one broker's step only the pairs (presumed leader, ISR member) that include it can have changed.
        let only = match world.touched() {
            Touched::Node(NodeId::Broker(x)) => Some(x),
            _ => None,
        };
        for &(tp, meta) in touched {
            let isr = &meta.isr;
            if !self.lossy.is_empty() && self.lossy.contains(&image.tp_name(tp)) {
                continue;
            }
            for (id, slot) in &world.brokers {
                let BrokerSlot::Up(b) = slot else { continue };
                let Some(lp) = b.partitions.get(&tp).filter(|p| p.is_leader()) else {
                    continue;
                };
                let hw = lp.log.high_watermark();
                for member in isr.iter().filter(|m| only.is_none_or(|x| x == *id || x == **m)) {
                    let Some(log) = world.broker_log(*member, tp) else {
                        continue;
                    };
                    let from = (hw - WINDOW).max(log.log_start_offset()).max(lp.log.log_start_offset());
                    if let Some(o) = lp.log.first_difference(log, from, hw) {
                        let name = image.tp_name(tp);
                        return Some(format!(
                            "{name}: broker {id} (believes it leads) has offset {o} below its high watermark {hw}, but ISR \
                             member {member} {}",
                            if log.record_at(o).is_none() { "does not have it" } else { "has a different record there" }
                        ));
                    }
                }
            }
        }
        None
    }
}
