//! The sticky assignors' rack information: `AbstractStickyAssignor.RackInfo` (L449-534).
//!
//! Rack-aware mode is on when `useRackAwareAssignment` says so (some consumer has a non-empty rack, consumer
//! and replica racks intersect, and some partition is not on every rack, or the test-only switch is set). In
//! that mode an owned partition with no replica on its owner's rack is released (rack alignment may override
//! stickiness, never balance), and new partitions go to same-rack members first.
//!
//! Quirk kept: the partition order used by the constrained builder (`sortPartitionsByRackConsumers`, by the
//! number of consumers on the partition's racks) is computed whenever some consumer has a rack, even when
//! rack-aware mode ends up off (L478-482 build `numConsumersByPartition` from the local rack map).

use super::sticky_layout::{Layout, Members};
use super::{use_rack_aware_assignment, Cluster};
use crate::engine::sort;
use crate::engine::vec_map::VecMap;

/// Racks interned as small integers, per member and per partition.
#[derive(Debug)]
pub(super) struct RackInfo {
    /// Each member's rack in rack-aware mode; all `None` otherwise (Kafka's empty `consumerRacks`).
    consumer_racks: Vec<Option<u32>>,
    /// Each partition's replica racks (sorted, distinct) in rack-aware mode; empty otherwise.
    partition_racks: Vec<Vec<u32>>,
    /// Per partition, how many consumers sit on its racks; empty when no consumer has a rack.
    num_consumers_by_partition: Vec<u32>,
}

impl RackInfo {
    /// The constructor (L454-490).
    pub(super) fn new(layout: &Layout, cluster: &Cluster, members: &Members, prefer: bool) -> Self {
        let mut names: VecMap<String, u32> = VecMap::new();
        let mut intern = |rack: &str| {
            let next = names.len() as u32;
            *names.entry(rack.to_string()).or_insert(next)
        };
        // Empty-string racks are ignored (L459).
        let member_racks: Vec<Option<u32>> = members
            .subscriptions
            .iter()
            .map(|s| s.rack.as_deref().filter(|r| !r.is_empty()).map(&mut intern))
            .collect();
        let mut consumers_per_rack: VecMap<u32, u32> = VecMap::new();
        for rack in member_racks.iter().flatten() {
            *consumers_per_rack.entry(*rack).or_default() += 1;
        }
        let local_partition_racks: Vec<Vec<u32>> = if consumers_per_rack.is_empty() {
            Vec::new()
        } else {
            (0..layout.num_partitions() as u32)
                .map(|p| {
                    let tp = layout.topic_partition(p);
                    let mut racks: Vec<u32> =
                        cluster.racks_of(&tp.topic, tp.partition).iter().map(|r| intern(r)).collect();
                    sort::sort_u32(&mut racks);
                    racks.dedup();
                    racks
                })
                .collect()
        };
        let num_consumers_by_partition = local_partition_racks
            .iter()
            .map(|racks| racks.iter().map(|r| consumers_per_rack.get(r).copied().unwrap_or(0)).sum())
            .collect();
        let consumer_rack_set: Vec<u32> = consumers_per_rack.keys().copied().collect();
        let mut all_partition_racks: Vec<u32> = local_partition_racks.iter().flatten().copied().collect();
        sort::sort_u32(&mut all_partition_racks);
        all_partition_racks.dedup();
        let rack_aware = use_rack_aware_assignment(
            &consumer_rack_set,
            &all_partition_racks,
            local_partition_racks.iter().map(Vec::as_slice),
            prefer,
        );
        if rack_aware {
            Self {
                consumer_racks: member_racks,
                partition_racks: local_partition_racks,
                num_consumers_by_partition,
            }
        } else {
            Self {
                consumer_racks: vec![None; members.len()],
                partition_racks: Vec::new(),
                num_consumers_by_partition,
            }
        }
    }

    /// Whether rack-aware mode is on (Kafka: `!rackInfo.consumerRacks.isEmpty()`).
    pub(super) fn is_rack_aware(&self) -> bool {
        self.consumer_racks.iter().any(Option::is_some)
    }

    /// A member's rack in rack-aware mode.
    pub(super) fn consumer_rack(&self, member: u32) -> Option<u32> {
        self.consumer_racks[member as usize]
    }

    /// A partition's replica racks in rack-aware mode (empty otherwise).
    pub(super) fn partition_racks(&self, p: u32) -> &[u32] {
        self.partition_racks.get(p as usize).map_or(&[], Vec::as_slice)
    }

    /// `racksMismatch` (L498-502): the member has a rack and no replica of the partition is on it.
    pub(super) fn racks_mismatch(&self, member: u32, p: u32) -> bool {
        match self.consumer_rack(member) {
            None => false,
            Some(rack) => !self.partition_racks(p).contains(&rack),
        }
    }

    /// `sortPartitionsByRackConsumers` (L504-511): a stable sort by the number of consumers on the
    /// partition's racks, fewest first, so that scarce partitions find a same-rack member first.
    pub(super) fn sort_partitions_by_rack_consumers(&self, partitions: &mut [u32]) {
        if !self.num_consumers_by_partition.is_empty() {
            sort::sort_u32_by_key(partitions, |p| self.num_consumers_by_partition[p as usize]);
        }
    }

    /// `nextRackConsumer` (L513-525): starting at `first`, circularly, the position in `list` of the first
    /// member on one of the partition's racks.
    pub(super) fn next_rack_consumer(&self, p: u32, list: &[u32], first: usize) -> Option<usize> {
        let racks = self.partition_racks(p);
        if racks.is_empty() {
            return None;
        }
        (0..list.len())
            .map(|i| (first + i) % list.len())
            .find(|&index| self.consumer_rack(list[index]).is_some_and(|rack| racks.contains(&rack)))
    }
}
