//! Every record below a group's committed offset was processed by some member of the group at least once
//! (Maelstrom/Jepsen's "lost" for a queue: a record the group says it is done with but never saw). Kafka's
//! consumers promise this only when they commit after processing; committing first (kafka-go's `ReadMessage`)
//! and then dying breaks it — this checker names the records and the cause. Records jumped over on purpose
//! (`auto.offset.reset` after `OFFSET_OUT_OF_RANGE`, `seek()`, an admin reset) do not count.

use super::delivery::DeliveryLedger;
use super::{Checker, TouchedPartitions};
use crate::engine::trace::TraceEvent;
use crate::engine::world::World;

/// The checker's name.
pub const NAME: &str = "committed-were-processed";

/// Keeps the delivery ledger of the run.
#[derive(Clone, Default)]
pub struct CommittedWereProcessed {
    ledger: DeliveryLedger,
}

impl Checker for CommittedWereProcessed {
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
        _touched: TouchedPartitions<'_>,
    ) -> Option<String> {
        if !self.ledger.feed(new) {
            return None;
        }
        let skip = self.ledger.skips(world).into_iter().next()?;
        let range = if skip.from == skip.to {
            format!("offset {}", skip.from)
        } else {
            format!("offsets {}..{}", skip.from, skip.to)
        };
        Some(format!(
            "group {}: {} {range} are below the committed offset but no member processed them: {}",
            skip.group, skip.partition, skip.cause
        ))
    }
}
