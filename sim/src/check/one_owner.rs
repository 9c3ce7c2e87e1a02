//! A partition is owned by at most one member of a group at any instant, cooperative rebalancing included
//! (KIP-429 revokes a partition in one rebalance and hands it over in the next, so its old and new owners never
//! overlap). "Member" means a consumer the coordinator lists in the group under the member id the consumer
//! holds: a zombie that was removed (session expired, poll timeout) but still thinks it owns partitions is not a
//! member; what it does meanwhile shows up as duplicates and failed commits instead.

use super::{Checker, TouchedPartitions};
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::group::find_group;

/// The checker's name.
pub const NAME: &str = "one-owner-per-partition";

/// Stateless: it looks at the consumers and their coordinators after each step that changed an assignment.
#[derive(Clone, Default)]
pub struct OneOwnerPerPartition;

fn concerns_ownership(kind: &TraceKind) -> bool {
    matches!(
        kind,
        TraceKind::PartitionsAssigned { .. }
            | TraceKind::PartitionsRevoked { .. }
            | TraceKind::MemberRemoved { .. }
            | TraceKind::JoinCompleted { .. }
            | TraceKind::GroupStable { .. }
            | TraceKind::CoordinatorLoaded { .. }
    )
}

impl Checker for OneOwnerPerPartition {
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
        if !new.iter().any(|e| concerns_ownership(&e.kind)) {
            return None;
        }
        // (group, partition) → owner.
        let mut owners: VecMap<(String, String), String> = VecMap::new();
        for c in world.consumers().filter(|c| c.is_running()) {
            let Some(group) = c.group.as_deref() else { continue };
            let Some((_, g, _)) = find_group(world, group) else { continue };
            if c.member_id.is_empty() || !g.has_member(&c.member_id) {
                continue;
            }
            for p in c.owned_names() {
                if let Some(other) = owners.insert((group.to_string(), p.clone()), c.name.to_string()) {
                    return Some(format!(
                        "group {group}: {p} is owned by both {other} and {} (both members of generation {})",
                        c.name, g.generation
                    ));
                }
            }
        }
        None
    }
}
