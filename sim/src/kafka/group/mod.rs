//! Consumer groups on the broker side: the classic group protocol's coordinator.
//!
//! - [`protocol`]: the group requests and answers on the wire.
//! - [`member`] and [`classic`]: a classic group's state (`ClassicGroup`, `ClassicGroupMember`) and its legal state
//!   transitions.
//! - [`coordinator`]: the coordinator (`GroupMetadataManager` + `OffsetMetadataManager`): JoinGroup, SyncGroup,
//!   Heartbeat, LeaveGroup, OffsetCommit/OffsetFetch, the join/sync/session timers, offset expiry.
//! - [`records`]: what the coordinator writes to `__consumer_offsets`, and how a new coordinator reloads it.
//! - [`broker_side`]: the broker's part: routing requests to the coordinator, appending its records to the
//!   offsets partitions it leads, loading and unloading them as leadership moves, FindCoordinator, ListOffsets.
//!
//! The rules and their Kafka source paths are in `shared/reference/kafka-group-protocol.md`; the behaviour
//! follows the new Java group coordinator (the default from 4.0), which implements the same classic state
//! machine as 3.x's Scala one.

pub mod broker_side;
pub mod classic;
pub mod coordinator;
pub mod member;
pub mod protocol;
pub mod records;

/// The internal topic that stores group metadata and committed offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// The partition of `__consumer_offsets` whose leader coordinates `group`: `Utils.abs(group.hashCode()) %
/// offsets.topic.num.partitions` (`GroupCoordinatorService.partitionFor`). `hashCode` is Java's `String.hashCode`
/// over UTF-16 code units; `Utils.abs` maps `Integer.MIN_VALUE` to 0 (neither `Math.abs` nor a sign mask).
pub fn coordinator_partition(group: &str, num_partitions: u32) -> u32 {
    let hash = crate::kafka::assignor::java_compat::string_hash(group);
    let abs = if hash == i32::MIN { 0 } else { hash.unsigned_abs() };
    abs % num_partitions.max(1)
}

/// The group as its current coordinator knows it: the broker that leads the group's `__consumer_offsets` partition
/// in the controller's view, with the group and its committed offsets. A deposed coordinator cut off from the
/// controller may still hold a stale copy; that one is not the group.
pub fn find_group<'a>(
    world: &'a crate::engine::world::World,
    group: &str,
) -> Option<(crate::kafka::types::BrokerId, &'a classic::ClassicGroup, Option<&'a coordinator::Offsets>)> {
    let image = &world.controller.image;
    let topic = image.topic_by_name(OFFSETS_TOPIC)?;
    let p = coordinator_partition(group, topic.partitions.len() as u32);
    let leader = topic.partitions.get(p as usize)?.leader?;
    let c = &world.broker(leader)?.group_side.coordinator;
    let g = c.groups.get(group)?;
    Some((leader, g, c.offsets.get(group)))
}

#[cfg(test)]
mod tests;
