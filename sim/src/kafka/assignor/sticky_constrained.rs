//! `AbstractStickyAssignor.ConstrainedAssignmentBuilder` (L585-920): the sticky assignment when every member
//! subscribes to the same topics.
//!
//! With `N` partitions and `C` members: `minQuota = N / C`, `maxQuota = ceil(N / C)`, and exactly `N % C`
//! members end at `maxQuota` (L623-628).
//! 1. Keep owned partitions (`assignOwnedPartitions`, L666-730), visiting members in Kafka's `HashMap` order:
//!    owned partitions off the member's rack (rack-aware mode) are released; the rest are sorted by
//!    (partition id, topic), so a member that must give some back keeps its lowest partition ids; a member
//!    under `minQuota` keeps all; one at `maxQuota` or more keeps `maxQuota` while `maxQuota` slots remain;
//!    otherwise it keeps `minQuota` and may later get one more.
//! 2. The unassigned partitions (topic, then partition order; stably re-sorted by rack scarcity when members
//!    have racks) go round-robin to the members below `minQuota` in member-id order, on their rack first in
//!    rack-aware mode (L734-779), then regardless of racks (L781-824); once all reached `minQuota`, single
//!    extra partitions go to the members at exactly `minQuota` in FIFO order until `N % C` are at `maxQuota`.
//! 3. A partition released by one member and given to another, or claimed by several members of the same
//!    generation, is recorded in `partitionsTransferringOwnership` (L826-839).
//!
//! Each member's list: kept partitions in (partition id, topic) order, then new ones in assignment order.

use super::sticky_layout::{Layout, Members, NO_MEMBER};
use super::sticky_rack::RackInfo;
use super::AssignError;
use crate::engine::sort;
use std::collections::VecDeque;

/// The result of a build: each member's partitions and the partitions that change owner (partition, new owner).
pub(super) type BuildResult = (Vec<Vec<u32>>, Vec<(u32, u32)>);

/// The builder's state (the fields of `ConstrainedAssignmentBuilder`).
struct Constrained<'a> {
    layout: &'a Layout,
    rack: &'a RackInfo,
    members: &'a Members<'a>,
    partitions_with_multiple_previous_owners: &'a [bool],
    /// `maybeRevokedPartitions`: the member that gave the partition up, per partition.
    maybe_revoked: Vec<u32>,
    unfilled_under_min_quota: Vec<u32>,
    unfilled_exactly_min_quota: VecDeque<u32>,
    min_quota: usize,
    max_quota: usize,
    expected_num_members_with_over_min_quota: usize,
    current_num_members_with_over_min_quota: usize,
    assignment: Vec<Vec<u32>>,
    /// `assignedPartitions`: the owned partitions kept in step 1.
    assigned: Vec<u32>,
    transferring: Vec<(u32, u32)>,
}

/// Runs the constrained builder. `owned` is `consumerToOwnedPartitions` per member; `multi` flags the
/// partitions claimed by several members of one generation.
pub(super) fn build(
    layout: &Layout,
    rack: &RackInfo,
    members: &Members,
    owned: &[Vec<u32>],
    multi: &[bool],
) -> Result<BuildResult, AssignError> {
    let total = layout.num_partitions();
    let consumers = members.len();
    let mut builder = Constrained {
        layout,
        rack,
        members,
        partitions_with_multiple_previous_owners: multi,
        maybe_revoked: vec![NO_MEMBER; layout.num_indices()],
        unfilled_under_min_quota: Vec::new(),
        unfilled_exactly_min_quota: VecDeque::new(),
        min_quota: total / consumers,
        max_quota: total.div_ceil(consumers),
        expected_num_members_with_over_min_quota: total % consumers,
        current_num_members_with_over_min_quota: 0,
        assignment: vec![Vec::new(); consumers],
        assigned: Vec::new(),
        transferring: Vec::new(),
    };
    for &m in &members.java_order {
        builder.assign_owned_partitions(m, &owned[m as usize]);
    }
    let mut unassigned = unassigned_partitions(layout, std::mem::take(&mut builder.assigned));
    let rank = &members.rank;
    sort::sort_u32_by_key(&mut builder.unfilled_under_min_quota, |m| rank[m as usize]);
    sort::sort_u32_by_key(builder.unfilled_exactly_min_quota.make_contiguous(), |m| rank[m as usize]);
    rack.sort_partitions_by_rack_consumers(&mut unassigned);
    if rack.is_rack_aware() {
        unassigned = builder.assign_rack_aware_round_robin(unassigned);
    }
    builder.assign_round_robin(&unassigned)?;
    builder.verify_unfilled_members()?;
    Ok((builder.assignment, builder.transferring))
}

/// `getUnassignedPartitions` (L883-919): all partitions (topic, then partition) minus the kept ones, by Kafka's
/// two-pointer walk. A kept ghost partition stops the walk from matching, so every partition after it counts
/// as unassigned, kept or not, as in Kafka.
fn unassigned_partitions(layout: &Layout, mut assigned: Vec<u32>) -> Vec<u32> {
    let all = 0..layout.num_partitions() as u32;
    if assigned.is_empty() {
        return all.collect();
    }
    sort::sort_u32_by_key(&mut assigned, |p| (layout.topic_of(p), layout.partition_id(p)));
    let mut rest = assigned.into_iter();
    let mut next = rest.next();
    let mut add_directly = false;
    let mut unassigned = Vec::new();
    for p in all {
        if add_directly || next != Some(p) {
            unassigned.push(p);
        } else {
            next = rest.next();
            add_directly = next.is_none();
        }
    }
    unassigned
}

impl Constrained<'_> {
    /// One member's step of `assignOwnedPartitions` (L666-730).
    fn assign_owned_partitions(&mut self, member: u32, owned: &[u32]) {
        let mut kept: Vec<u32> = Vec::with_capacity(owned.len());
        for &p in owned {
            if self.rack.racks_mismatch(member, p) {
                self.maybe_revoked[p as usize] = member;
            } else {
                kept.push(p);
            }
        }
        let layout = self.layout;
        // Lowest partition ids first, then topic (L678).
        sort::sort_u32_by_key(&mut kept, |p| (layout.partition_id(p), layout.topic_of(p)));
        kept.retain(|&p| !self.partitions_with_multiple_previous_owners[p as usize]);

        let keep = if kept.len() < self.min_quota {
            self.unfilled_under_min_quota.push(member);
            kept.len()
        } else if kept.len() >= self.max_quota
            && self.current_num_members_with_over_min_quota < self.expected_num_members_with_over_min_quota
        {
            self.current_num_members_with_over_min_quota += 1;
            if self.current_num_members_with_over_min_quota == self.expected_num_members_with_over_min_quota {
                self.unfilled_exactly_min_quota.clear();
            }
            self.max_quota
        } else {
            if self.current_num_members_with_over_min_quota < self.expected_num_members_with_over_min_quota {
                self.unfilled_exactly_min_quota.push_back(member);
            }
            self.min_quota
        };
        for &p in &kept[keep..] {
            self.maybe_revoked[p as usize] = member;
        }
        self.assigned.extend_from_slice(&kept[..keep]);
        self.assignment[member as usize].extend_from_slice(&kept[..keep]);
    }

    /// `assignRackAwareRoundRobin` (L734-779): hands out partitions to same-rack members within the quotas and
    /// returns the partitions it could not place.
    fn assign_rack_aware_round_robin(&mut self, unassigned: Vec<u32>) -> Vec<u32> {
        let mut remaining = Vec::with_capacity(unassigned.len());
        let mut next_unfilled = 0usize;
        for p in unassigned {
            let mut consumer = None;
            if let Some(mut index) =
                self.rack.next_rack_consumer(p, &self.unfilled_under_min_quota, next_unfilled)
            {
                let member = self.unfilled_under_min_quota[index];
                consumer = Some(member);
                let count = self.assignment[member as usize].len() + 1;
                if count >= self.min_quota {
                    self.unfilled_under_min_quota.remove(index);
                    if count < self.max_quota && self.has_max_quota_slots() {
                        self.unfilled_exactly_min_quota.push_back(member);
                    }
                } else {
                    index += 1;
                }
                let len = self.unfilled_under_min_quota.len();
                next_unfilled = if len == 0 { 0 } else { index % len };
            } else if !self.unfilled_exactly_min_quota.is_empty() {
                let list = self.unfilled_exactly_min_quota.make_contiguous();
                if let Some(first) = self.rack.next_rack_consumer(p, list, 0) {
                    let member = list[first];
                    consumer = Some(member);
                    if self.assignment[member as usize].len() + 1 == self.max_quota {
                        self.unfilled_exactly_min_quota.remove(first);
                        self.filled_one_max_quota_slot();
                    }
                }
            }
            match consumer {
                Some(member) => {
                    self.assign_new_partition(p, member);
                }
                None => remaining.push(p),
            }
        }
        remaining
    }

    /// Whether fewer than `N % C` members are at `maxQuota` yet.
    fn has_max_quota_slots(&self) -> bool {
        self.current_num_members_with_over_min_quota < self.expected_num_members_with_over_min_quota
    }

    /// One more member reached `maxQuota`; when the last slot is taken, nobody at `minQuota` is unfilled.
    fn filled_one_max_quota_slot(&mut self) {
        self.current_num_members_with_over_min_quota += 1;
        if !self.has_max_quota_slots() {
            self.unfilled_exactly_min_quota.clear();
        }
    }

    /// `assignRoundRobin` (L781-824). The cursor mirrors the Java `Iterator` over the under-`minQuota` list: it
    /// restarts from the head when it runs off the end, and `remove()` drops the member it last returned.
    fn assign_round_robin(&mut self, unassigned: &[u32]) -> Result<(), AssignError> {
        let mut cursor = 0usize;
        for &p in unassigned {
            let (member, from_cursor) = if cursor < self.unfilled_under_min_quota.len() {
                cursor += 1;
                (self.unfilled_under_min_quota[cursor - 1], true)
            } else if self.unfilled_under_min_quota.is_empty() {
                match self.unfilled_exactly_min_quota.pop_front() {
                    Some(member) => (member, false),
                    None => {
                        return Err(AssignError::IllegalState(
                            "No more unfilled consumers to be assigned.".into(),
                        ))
                    }
                }
            } else {
                cursor = 1;
                (self.unfilled_under_min_quota[0], true)
            };
            let count = self.assign_new_partition(p, member);
            if count == self.min_quota {
                // Only members from the cursor can be below minQuota before this partition.
                if from_cursor {
                    cursor -= 1;
                    self.unfilled_under_min_quota.remove(cursor);
                }
                self.unfilled_exactly_min_quota.push_back(member);
            } else if count == self.max_quota {
                self.current_num_members_with_over_min_quota += 1;
            }
        }
        Ok(())
    }

    /// `assignNewPartition` (L826-839): returns the member's new partition count.
    fn assign_new_partition(&mut self, p: u32, member: u32) -> usize {
        self.assignment[member as usize].push(p);
        let revoked_from = self.maybe_revoked[p as usize];
        if (revoked_from != NO_MEMBER && revoked_from != member)
            || self.partitions_with_multiple_previous_owners[p as usize]
        {
            self.transferring.push((p, member));
        }
        self.assignment[member as usize].len()
    }

    /// `verifyUnfilledMembers` (L841-868): members still under `minQuota` are a bug in Kafka's terms.
    fn verify_unfilled_members(&self) -> Result<(), AssignError> {
        if self.unfilled_under_min_quota.is_empty() {
            return Ok(());
        }
        if self.has_max_quota_slots() {
            return Err(AssignError::IllegalState(
                "We haven't reached the expected number of members with more than the minQuota partitions, \
                 but no more partitions to be assigned"
                    .into(),
            ));
        }
        for &member in &self.unfilled_under_min_quota {
            if self.assignment[member as usize].len() != self.min_quota {
                return Err(AssignError::IllegalState(format!(
                    "Consumer: [{}] doesn't reach minQuota partitions, and no more partitions to be assigned",
                    self.members.ids[member as usize]
                )));
            }
        }
        Ok(())
    }
}
