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

/// The last offset each consumer processed of each partition since it was (re)positioned.
#[derive(Clone, Default)]
pub struct InOrderPerPartition {
    last: VecMap<(String, String), Offset>,
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
                        self.last.remove(&(consumer.clone(), p.clone()));
                    }
                }
                TraceKind::OffsetReset { consumer, partition, .. }
                | TraceKind::Seeked { consumer, partition, .. } => {
                    self.last.remove(&(consumer.clone(), partition.clone()));
                }
                TraceKind::ConsumerCrashed { consumer, .. } => self.last.retain(|(c, _), _| c != consumer),
                TraceKind::Consumed { consumer, partition, from, to, .. } => {
                    let key = (consumer.clone(), partition.clone());
                    if let Some(last) = self.last.get(&key).filter(|l| *from <= **l) {
                        return Some(format!(
                            "{consumer} processed {partition} offset {from} after offset {last}, without being \
                             repositioned in between"
                        ));
                    }
                    self.last.insert(key, *to);
                }
                _ => {}
            }
        }
        None
    }
}
