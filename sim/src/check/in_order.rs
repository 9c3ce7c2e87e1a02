//! Each member sees each partition's records in offset order: within one stretch of ownership (from being
//! assigned the partition, or repositioned by a reset or a seek, until it loses it), a consumer never processes
//! an offset at or below one it already processed (Jepsen's "nonmonotonic" read for a log).

use super::{Checker, TouchedPartitions};
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::types::Offset;

/// The checker's name.
pub const NAME: &str = "in-order-per-partition";

/// The last offset each consumer processed of each partition since it was (re)positioned (`None` once it is
/// repositioned: the entry stays, so that the map, a sorted vector, changes shape only when a pair is first seen).
#[derive(Clone, Default)]
pub struct InOrderPerPartition {
    last: VecMap<(String, String), Option<Offset>>,
}

impl InOrderPerPartition {
    fn forget(&mut self, consumer: &str, partition: &str) {
        if let Some(last) = self.last.get_mut(&(consumer.to_string(), partition.to_string())) {
            *last = None;
        }
    }
}

impl Checker for InOrderPerPartition {
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
            match &e.kind {
                TraceKind::PartitionsAssigned { consumer, added, .. } => {
                    for p in added {
                        self.forget(consumer, p);
                    }
                }
                TraceKind::OffsetReset { consumer, partition, .. }
                | TraceKind::Seeked { consumer, partition, .. } => self.forget(consumer, partition),
                TraceKind::ConsumerCrashed { consumer, .. } => {
                    for ((c, _), last) in self.last.iter_mut() {
                        if c == consumer {
                            *last = None;
                        }
                    }
                }
                TraceKind::Consumed { consumer, partition, from, to, .. } => {
                    let key = (consumer.clone(), partition.clone());
                    if let Some(last) = self.last.get(&key).copied().flatten().filter(|l| from <= l) {
                        return Some(format!(
                            "{consumer} processed {partition} offset {from} after offset {last}, without being \
                             repositioned in between"
                        ));
                    }
                    *self.last.get_or_default(key) = Some(*to);
                }
                _ => {}
            }
        }
        None
    }
}
