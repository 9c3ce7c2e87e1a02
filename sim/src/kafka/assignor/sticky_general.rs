//! `AbstractStickyAssignor.GeneralAssignmentBuilder` (L939-1502): the sticky assignment when members subscribe
//! to different topics.
//!
//! 1. Previous owners from older generations are remembered per partition (`prepopulateCurrentAssignments`,
//!    L1138-1163: the most recent older owner wins, ties to the first member in Kafka's `HashMap` order).
//! 2. Owned partitions are kept unless the member unsubscribed from the topic or, in rack-aware mode, the
//!    partition has no replica on its rack; either of those sets `revocationRequired` (L1033-1067).
//! 3. `balance` (L1328-1386): each unassigned partition goes to the least-loaded member that may take it
//!    (fewest partitions, then member id), first on the partition's rack; then partitions are moved while the
//!    assignment is not balanced (`performReassignments`, L1388-1452): back to its previous owner if the current
//!    one has two or more partitions more, else to the least-loaded subscriber when that is two or more
//!    lighter. Unless this is the first assignment, a result whose balance score (sum of pairwise count
//!    differences, L1243-1260) is not strictly better is thrown away for the pre-balance one.
//! 4. `PartitionMovements` rewrites a move that would undo an earlier one of the same topic.
//!
//! Each member's list: its kept partitions in the order its member data listed them, then new ones in
//! assignment order (a moved partition leaves its old list and is appended to the new one).
//!
//! The inner loops run on dense indices; the balance check (`isBalanced`, L1170-1220) uses the owner array
//! instead of rebuilding a partition → owner map on every call, with the same answer.

use super::sticky_layout::{Layout, Members, NO_MEMBER};
use super::sticky_movements::PartitionMovements;
use super::sticky_rack::RackInfo;
use super::{AssignError, DEFAULT_GENERATION};
use crate::engine::sort;
use crate::engine::vec_map::VecSet;

/// One member's `MemberData`, as partition indices.
#[derive(Debug, Clone)]
pub(super) struct IndexedMemberData {
    /// The partitions it reported (unknown ones dropped), in its order.
    pub(super) partitions: Vec<u32>,
    /// Its generation, if known.
    pub(super) generation: Option<i32>,
}

/// `prevAssignment`: per partition, the most recent older owner and its generation.
type PrevAssignment = Vec<Option<(u32, i32)>>;

/// The builder's state.
struct General<'a> {
    layout: &'a Layout,
    rack: &'a RackInfo,
    members: &'a Members<'a>,
    /// `topic2AllPotentialConsumers` sizes: a member that lists a topic twice counts twice, as in Kafka.
    topic_consumer_count: Vec<usize>,
    /// `consumer2AllPotentialTopics`: each member's existing subscribed topics, as listed.
    member_topics: Vec<Vec<u32>>,
    /// Membership bits of `member_topics`, `words` 64-bit words per member.
    subscribed_bits: Vec<u64>,
    words: usize,
    max_assignment_size: Vec<usize>,
    /// `currentAssignment`.
    assignment: Vec<Vec<u32>>,
    /// `currentPartitionConsumer`.
    owner: Vec<u32>,
    /// `sortedCurrentSubscriptions`: (partition count, member-id rank).
    sorted: VecSet<(u32, u32)>,
    /// Members in `currentAssignment` (the fixed ones are taken out while balancing).
    present: Vec<bool>,
    sorted_all_partitions: Vec<u32>,
    revocation_required: bool,
    movements: PartitionMovements,
    /// Some partition is (about to be) in two lists, which only ghost partitions cause; the balance check then
    /// takes the slow path that reproduces Kafka's map of partition → member.
    duplicated: bool,
}

/// Runs the general builder. `owned` is `consumerToOwnedPartitions`; returns each member's partitions and
/// whether the partition movements are sticky (`isSticky`).
pub(super) fn build(
    layout: &Layout,
    rack: &RackInfo,
    members: &Members,
    owned: Vec<Vec<u32>>,
    member_data: &[IndexedMemberData],
    max_generation: i32,
) -> Result<(Vec<Vec<u32>>, bool), AssignError> {
    let mut builder = General::new(layout, rack, members, owned);
    let prev = prepopulate_current_assignments(layout, members, member_data, max_generation);
    let assigned = builder.assign_owned_partitions();
    let unassigned = builder.unassigned_partitions(assigned);
    for m in 0..members.len() {
        builder.sorted.insert((builder.count(m as u32) as u32, members.rank[m]));
    }
    builder.balance(&prev, unassigned)?;
    let sticky = builder.movements.is_sticky();
    Ok((builder.assignment, sticky))
}

/// `prepopulateCurrentAssignments` + `updatePrevAssignment` (L1117-1163).
fn prepopulate_current_assignments(
    layout: &Layout,
    members: &Members,
    member_data: &[IndexedMemberData],
    max_generation: i32,
) -> PrevAssignment {
    let mut prev: PrevAssignment = vec![None; layout.num_indices()];
    for &m in &members.java_order {
        let data = &member_data[m as usize];
        let generation = match data.generation {
            Some(g) if g < max_generation => g,
            None if max_generation > DEFAULT_GENERATION => DEFAULT_GENERATION,
            _ => continue,
        };
        for &p in &data.partitions {
            match prev[p as usize] {
                Some((_, older)) if generation <= older => {}
                _ => prev[p as usize] = Some((m, generation)),
            }
        }
    }
    prev
}

impl<'a> General<'a> {
    /// The constructor (L974-1000).
    fn new(layout: &'a Layout, rack: &'a RackInfo, members: &'a Members<'a>, owned: Vec<Vec<u32>>) -> Self {
        let num_topics = layout.num_topics();
        let words = num_topics.div_ceil(64);
        let mut topic_consumer_count = vec![0usize; num_topics];
        let mut subscribed_bits = vec![0u64; words * members.len()];
        let mut member_topics = Vec::with_capacity(members.len());
        for m in 0..members.len() {
            let topics: Vec<u32> = layout.member_topics(m as u32).to_vec();
            for &t in &topics {
                topic_consumer_count[t as usize] += 1;
                subscribed_bits[m * words + t as usize / 64] |= 1 << (t % 64);
            }
            member_topics.push(topics);
        }
        let max_assignment_size =
            member_topics.iter().map(|topics| max_assignment_size(layout, topics)).collect();
        let mut owner = vec![NO_MEMBER; layout.num_indices()];
        for (m, list) in owned.iter().enumerate() {
            for &p in list {
                owner[p as usize] = m as u32;
            }
        }
        // Topics by number of potential consumers, then name; partitions ascending (L993-995).
        let mut topics: Vec<u32> = (0..num_topics as u32).collect();
        sort::sort_u32_by_key(&mut topics, |t| topic_consumer_count[t as usize]);
        let sorted_all_partitions = topics.iter().flat_map(|&t| layout.partitions_of(t)).collect();
        Self {
            layout,
            rack,
            members,
            topic_consumer_count,
            member_topics,
            subscribed_bits,
            words,
            max_assignment_size,
            assignment: owned,
            owner,
            sorted: VecSet::new(),
            present: vec![true; members.len()],
            sorted_all_partitions,
            revocation_required: false,
            movements: PartitionMovements::default(),
            duplicated: false,
        }
    }

    fn count(&self, member: u32) -> usize {
        self.assignment[member as usize].len()
    }

    fn is_subscribed(&self, member: u32, topic: u32) -> bool {
        self.subscribed_bits[member as usize * self.words + topic as usize / 64] & (1 << (topic % 64)) != 0
    }

    /// `assignOwnedPartitions` (L1033-1067): returns the partitions that stay with their owner.
    fn assign_owned_partitions(&mut self) -> Vec<u32> {
        let mut assigned = Vec::new();
        for m in 0..self.assignment.len() {
            let list = std::mem::take(&mut self.assignment[m]);
            let mut kept = Vec::with_capacity(list.len());
            for p in list {
                let unsubscribed = !self.is_subscribed(m as u32, self.layout.topic_of(p));
                if unsubscribed || self.rack.racks_mismatch(m as u32, p) {
                    self.revocation_required = true;
                } else {
                    assigned.push(p);
                    kept.push(p);
                }
            }
            self.assignment[m] = kept;
        }
        assigned
    }

    /// `getUnassignedPartitions` (L1081-1110): `sortedAllPartitions` minus the kept ones, by Kafka's two-pointer
    /// walk in `PartitionComparator` order. A kept ghost partition stops the walk from matching, so every
    /// partition after it counts as unassigned, kept or not; those are then assigned a second time, as in Kafka.
    fn unassigned_partitions(&mut self, mut assigned: Vec<u32>) -> Vec<u32> {
        if assigned.is_empty() {
            return self.sorted_all_partitions.clone();
        }
        let mut kept = vec![false; self.layout.num_indices()];
        assigned.iter().for_each(|&p| kept[p as usize] = true);
        let layout = self.layout;
        let consumers = &self.topic_consumer_count;
        sort::sort_u32_by_key(&mut assigned, |p| {
            let t = layout.topic_of(p);
            (consumers[t as usize], t, layout.partition_id(p))
        });
        let mut rest = assigned.into_iter();
        let mut next = rest.next();
        let mut add_directly = false;
        let mut unassigned = Vec::new();
        for &p in &self.sorted_all_partitions {
            if add_directly || next != Some(p) {
                unassigned.push(p);
            } else {
                next = rest.next();
                add_directly = next.is_none();
            }
        }
        self.duplicated = unassigned.iter().any(|&p| kept[p as usize]);
        unassigned
    }

    /// `balance` (L1328-1386).
    fn balance(&mut self, prev: &PrevAssignment, mut unassigned: Vec<u32>) -> Result<(), AssignError> {
        let initializing = self.sorted.last().is_none_or(|&(count, _)| count == 0);
        // First with rack matching, then without (L1331-1337).
        let mut to_assign = unassigned.clone();
        if self.rack.is_rack_aware() {
            to_assign.retain(|&p| !self.has_potential_consumers(p) || !self.maybe_assign_partition(p, true));
        }
        for &p in &to_assign {
            if self.has_potential_consumers(p) {
                self.maybe_assign_partition(p, false);
            }
        }
        // Topics with fewer than two potential consumers cannot move (L1339-1346).
        let fixed_topic = |g: &Self, p: u32| g.topic_consumer_count[g.layout.topic_of(p) as usize] < 2;
        let all = std::mem::take(&mut self.sorted_all_partitions);
        self.sorted_all_partitions = all.into_iter().filter(|&p| !fixed_topic(self, p)).collect();
        unassigned.retain(|&p| !fixed_topic(self, p));
        // Members that cannot gain or lose anything are set aside (L1348-1354).
        for m in 0..self.members.len() as u32 {
            if !self.can_consumer_participate_in_reassignment(m) {
                self.sorted.remove(&(self.count(m) as u32, self.members.rank[m as usize]));
                self.present[m as usize] = false;
            }
        }
        let pre_balance = (self.assignment.clone(), self.owner.clone());
        if !self.revocation_required {
            self.perform_reassignments(&unassigned, prev)?;
        }
        let all = std::mem::take(&mut self.sorted_all_partitions);
        let reassignment_performed = self.perform_reassignments(&all, prev)?;
        if !initializing
            && reassignment_performed
            && self.balance_score(&self.assignment) >= self.balance_score(&pre_balance.0)
        {
            (self.assignment, self.owner) = pre_balance;
        }
        Ok(())
    }

    fn has_potential_consumers(&self, p: u32) -> bool {
        self.topic_consumer_count[self.layout.topic_of(p) as usize] > 0
    }

    /// `maybeAssignPartition` (L1265-1276): to the least-loaded subscriber (on the partition's rack if asked).
    fn maybe_assign_partition(&mut self, p: u32, rack_matching: bool) -> bool {
        let topic = self.layout.topic_of(p);
        let found = self.sorted.iter().copied().find(|&(_, rank)| {
            let m = self.members.by_rank[rank as usize];
            self.is_subscribed(m, topic) && !(rack_matching && self.rack.racks_mismatch(m, p))
        });
        let Some((count, rank)) = found else { return false };
        let m = self.members.by_rank[rank as usize];
        self.sorted.remove(&(count, rank));
        self.assignment[m as usize].push(p);
        self.owner[p as usize] = m;
        self.sorted.insert((count + 1, rank));
        true
    }

    /// `canConsumerParticipateInReassignment` (L1303-1326).
    fn can_consumer_participate_in_reassignment(&self, m: u32) -> bool {
        let list = &self.assignment[m as usize];
        list.len() < self.max_assignment_size[m as usize]
            || list.iter().any(|&p| self.topic_consumer_count[self.layout.topic_of(p) as usize] >= 2)
    }

    /// `getBalanceScore` (L1243-1260) over the members in play: the sum over pairs of count differences,
    /// computed from sorted counts. Kafka sums in an `int`, so the total wraps as Java's would.
    fn balance_score(&self, assignment: &[Vec<u32>]) -> i32 {
        let mut counts: Vec<i64> =
            (0..assignment.len()).filter(|&m| self.present[m]).map(|m| assignment[m].len() as i64).collect();
        sort::sort(&mut counts);
        let n = counts.len() as i64;
        let sum: i64 = counts.iter().enumerate().map(|(i, &c)| c * (2 * i as i64 - (n - 1))).sum();
        sum as i32
    }
}

/// `getMaxAssignmentSize` (L1227-1236): all partitions if the member lists as many topics as exist, else the
/// partitions of the topics it lists.
fn max_assignment_size(layout: &Layout, topics: &[u32]) -> usize {
    if topics.len() == layout.num_topics() {
        layout.num_partitions()
    } else {
        topics.iter().map(|&t| layout.partitions_of(t).len()).sum()
    }
}

impl General<'_> {
    /// `performReassignments` (L1388-1452): returns whether any partition moved.
    fn perform_reassignments(
        &mut self,
        partitions: &[u32],
        prev: &PrevAssignment,
    ) -> Result<bool, AssignError> {
        let mut reassignment_performed = false;
        loop {
            let mut modified = false;
            for &p in partitions {
                if self.is_balanced() {
                    break;
                }
                if self.try_move(p, prev)? {
                    reassignment_performed = true;
                    modified = true;
                }
            }
            if !modified {
                return Ok(reassignment_performed);
            }
        }
    }

    /// One step of `performReassignments` for partition `p`: returns whether it moved a partition.
    fn try_move(&mut self, p: u32, prev: &PrevAssignment) -> Result<bool, AssignError> {
        let consumer = self.owner[p as usize];
        if consumer == NO_MEMBER || !self.present[consumer as usize] {
            return Err(AssignError::IllegalState(format!("partition index {p} has no current consumer")));
        }
        let count = self.count(consumer);
        if let Some((previous, _)) = prev[p as usize] {
            if !self.present[previous as usize] {
                // Kafka reads the size of a member it took out of `currentAssignment`: NullPointerException.
                return Err(AssignError::IllegalState("NullPointerException in performReassignments".into()));
            }
            if count > self.count(previous) + 1 {
                self.reassign_partition(p, previous);
                return Ok(true);
            }
        }
        // Kafka first looks for a lighter member on the partition's racks, then for any lighter member, and
        // either way moves the partition to the least-loaded subscriber regardless of rack (L1420-1446). A
        // lighter member on a rack is also a lighter member, so the second test alone decides.
        let lightest = self.least_loaded(self.layout.topic_of(p));
        if lightest.is_some_and(|(min, _)| count > min as usize + 1) {
            self.reassign_to_least_loaded(p);
            return Ok(true);
        }
        Ok(false)
    }

    /// The least-loaded member subscribed to `topic`: (count, member).
    fn least_loaded(&self, topic: u32) -> Option<(u32, u32)> {
        self.sorted.iter().find_map(|&(count, rank)| {
            let m = self.members.by_rank[rank as usize];
            self.is_subscribed(m, topic).then_some((count, m))
        })
    }

    /// `reassignPartition(partition)` (L1454-1466): to the least-loaded subscriber of its topic.
    fn reassign_to_least_loaded(&mut self, p: u32) {
        if let Some((_, m)) = self.least_loaded(self.layout.topic_of(p)) {
            self.reassign_partition(p, m);
        }
    }

    /// `reassignPartition(partition, newConsumer)` (L1468-1474).
    fn reassign_partition(&mut self, p: u32, new: u32) {
        let consumer = self.owner[p as usize];
        let actual = self.movements.actual_partition_to_move(self.layout, p, consumer, new);
        self.process_partition_movement(actual, new);
    }

    /// `processPartitionMovement` (L1476-1490).
    fn process_partition_movement(&mut self, p: u32, new: u32) {
        let old = self.owner[p as usize];
        let rank = &self.members.rank;
        self.sorted.remove(&(self.count(old) as u32, rank[old as usize]));
        self.sorted.remove(&(self.count(new) as u32, rank[new as usize]));
        self.movements.move_partition(self.layout, p, old, new);
        let list = &mut self.assignment[old as usize];
        if let Some(i) = list.iter().position(|&q| q == p) {
            list.remove(i);
        }
        self.assignment[new as usize].push(p);
        self.owner[p as usize] = new;
        self.sorted.insert((self.count(new) as u32, rank[new as usize]));
        self.sorted.insert((self.count(old) as u32, rank[old as usize]));
    }

    /// `isBalanced` (L1170-1220): counts differ by at most one, or no member could take a partition of one of
    /// its topics from a member with two or more partitions more.
    fn is_balanced(&self) -> bool {
        let (Some(&(min, _)), Some(&(max, _))) = (self.sorted.first(), self.sorted.last()) else {
            return true;
        };
        if min + 1 >= max {
            return true;
        }
        if self.duplicated {
            return self.is_balanced_with_duplicates();
        }
        for &(count, rank) in &self.sorted {
            let m = self.members.by_rank[rank as usize];
            if count as usize == self.max_assignment_size[m as usize] {
                continue;
            }
            for &t in &self.member_topics[m as usize] {
                for p in self.layout.partitions_of(t) {
                    let other = self.owner[p as usize];
                    if other != m && other != NO_MEMBER && count as usize + 1 < self.count(other) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// `isBalanced` when a partition sits in two lists: Kafka's partition → member map is built by walking its
    /// `currentAssignment` `HashMap` (member-id hash order), so the later list wins, and "does the member have
    /// it" looks at the member's own list.
    fn is_balanced_with_duplicates(&self) -> bool {
        let mut holder = vec![NO_MEMBER; self.layout.num_indices()];
        for &m in &self.members.java_order {
            if self.present[m as usize] {
                self.assignment[m as usize].iter().for_each(|&p| holder[p as usize] = m);
            }
        }
        for &(count, rank) in &self.sorted {
            let m = self.members.by_rank[rank as usize];
            if count as usize == self.max_assignment_size[m as usize] {
                continue;
            }
            let own = &self.assignment[m as usize];
            for &t in &self.member_topics[m as usize] {
                for p in self.layout.partitions_of(t) {
                    let other = holder[p as usize];
                    if other != NO_MEMBER && !own.contains(&p) && count as usize + 1 < self.count(other) {
                        return false;
                    }
                }
            }
        }
        true
    }
}
