//! `AbstractStickyAssignor` (`clients/.../consumer/internals/AbstractStickyAssignor.java`), the logic shared by
//! the sticky assignors, and `StickyAssignor` (`"sticky"`, eager, `clients/.../consumer/StickyAssignor.java`).
//!
//! Goals, in order (StickyAssignor javadoc L36-52): balance (counts differ by at most one, or a lighter member
//! cannot take any partition of a heavier one), then stickiness (keep as many previous (member, partition)
//! pairs as possible).
//!
//! One `assign` call (`assignPartitions`, L96-121):
//! 1. `allSubscriptionsEqual` (L132-210) reads each member's previous partitions and generation
//!    (`memberData`, which differs per assignor, see [`super::user_data`]), in Kafka's `HashMap` order of
//!    member ids, and resolves claims on the same partition: the higher generation keeps it; equal
//!    generations lose it (nobody owns it, it is recorded as claimed by several). Quirk kept: the other
//!    claimant's generation is read from its protocol-level `generationId` (L173), not from its member data.
//!    Quirk kept: the first member with a non-empty topic list sets the reference subscription, so members
//!    with no topics before it do not make the subscriptions unequal.
//! 2. Equal subscriptions → `sticky_constrained`; otherwise → `sticky_general`.
//!
//! State kept on the assignor instance, as in Kafka: `maxGeneration` (never reset between calls, L57, L158),
//! `partitionsTransferringOwnership` of the last call (`None` after a general-builder call, L112), and the
//! partition movements of the last general-builder call (for `isSticky`).

use super::sticky_general::IndexedMemberData;
use super::sticky_layout::{to_group_assignment, Layout, Members, NO_MEMBER};
use super::sticky_rack::RackInfo;
use super::user_data::{
    cooperative_generation, encode_sticky_v1, read_sticky_member_data, sticky_member_data, MemberData,
};
use super::{
    sticky_constrained, sticky_general, AssignError, Cluster, GroupAssignment, GroupSubscription, MemberId,
    Subscription, TopicPartition, DEFAULT_GENERATION,
};
use crate::engine::vec_map::{VecMap, VecSet};

/// Which sticky assignor: they differ in how they read a member's previous ownership (Kafka's abstract
/// `memberData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    /// `StickyAssignor.memberData`: from user data only.
    Eager,
    /// `CooperativeStickyAssignor.memberData`: owned partitions, generation from the protocol or user data.
    Cooperative,
}

impl Flavor {
    /// `memberData(subscription)` as partition indices (partitions the metadata does not know are dropped,
    /// as Kafka drops them right after, L166).
    fn member_data(self, layout: &mut Layout, subscription: &Subscription) -> IndexedMemberData {
        match self {
            Flavor::Cooperative => IndexedMemberData {
                partitions: layout.claimed_indices(&subscription.owned_partitions),
                generation: cooperative_generation(subscription),
            },
            Flavor::Eager => {
                let data = read_sticky_member_data(subscription);
                let mut partitions = Vec::new();
                for (topic, ids) in &data.groups {
                    if let Some(t) = layout.topic_index(topic) {
                        partitions.extend(ids.iter().map(|&p| layout.claimed_index(t, p)));
                    }
                }
                IndexedMemberData { partitions, generation: data.generation }
            }
        }
    }
}

/// The state `AbstractStickyAssignor` keeps between `assign` calls.
#[derive(Debug, Clone)]
pub(super) struct StickyCore {
    max_generation: i32,
    prefer_rack_aware_logic: bool,
    partitions_transferring_ownership: Option<VecMap<TopicPartition, MemberId>>,
    is_sticky: bool,
}

impl Default for StickyCore {
    fn default() -> Self {
        Self {
            max_generation: DEFAULT_GENERATION,
            prefer_rack_aware_logic: false,
            partitions_transferring_ownership: Some(VecMap::new()),
            is_sticky: true,
        }
    }
}

/// One call's result before it becomes a `GroupAssignment`, for the cooperative adjustment.
pub(super) struct StickyRun<'a> {
    pub(super) layout: Layout,
    pub(super) members: Members<'a>,
    /// Each member's partitions, as indices, in Kafka's list order.
    pub(super) lists: Vec<Vec<u32>>,
    /// `partitionsTransferringOwnership` as (partition, new owner), `None` from the general builder.
    pub(super) transferring: Option<Vec<(u32, u32)>>,
}

/// What `allSubscriptionsEqual` produces besides its answer.
struct Ownership {
    all_subscriptions_equal: bool,
    /// `consumerToOwnedPartitions`, per member.
    owned: Vec<Vec<u32>>,
    /// `partitionsWithMultiplePreviousOwners`, per partition.
    multi: Vec<bool>,
}

impl StickyCore {
    /// `maxGeneration()`: the highest generation seen by this instance.
    pub(super) fn max_generation(&self) -> i32 {
        self.max_generation
    }

    pub(super) fn set_prefer_rack_aware_logic(&mut self, prefer: bool) {
        self.prefer_rack_aware_logic = prefer;
    }

    /// `partitionsTransferringOwnership()` after the last call.
    pub(super) fn partitions_transferring_ownership(&self) -> Option<&VecMap<TopicPartition, MemberId>> {
        self.partitions_transferring_ownership.as_ref()
    }

    /// `isSticky()`: the last general-builder call moved no partition of a topic both ways between two members.
    /// (Kafka throws if no general-builder call happened yet; we answer `true`.)
    pub(super) fn is_sticky(&self) -> bool {
        self.is_sticky
    }

    /// `assignPartitions` (L96-121).
    pub(super) fn assign_partitions<'a>(
        &mut self,
        cluster: &Cluster,
        subscriptions: &'a GroupSubscription,
        flavor: Flavor,
    ) -> Result<StickyRun<'a>, AssignError> {
        let members = Members::new(subscriptions);
        let mut layout = Layout::new(cluster, &members);
        if members.len() == 0 {
            // Kafka divides by the member count here; a group without members has nothing to assign.
            return Ok(StickyRun { layout, members, lists: Vec::new(), transferring: Some(Vec::new()) });
        }
        let data: Vec<IndexedMemberData> =
            members.subscriptions.iter().map(|s| flavor.member_data(&mut layout, s)).collect();
        let rack = RackInfo::new(&layout, cluster, &members, self.prefer_rack_aware_logic);
        let ownership = self.all_subscriptions_equal(&layout, &members, &data);
        let (lists, transferring) = if ownership.all_subscriptions_equal {
            let (lists, moved) =
                sticky_constrained::build(&layout, &rack, &members, &ownership.owned, &ownership.multi)?;
            (lists, Some(moved))
        } else {
            let (lists, sticky) =
                sticky_general::build(&layout, &rack, &members, ownership.owned, &data, self.max_generation)?;
            self.is_sticky = sticky;
            (lists, None)
        };
        self.partitions_transferring_ownership = transferring.as_ref().map(|moved| {
            VecMap::from_iter(
                moved.iter().map(|&(p, m)| (layout.topic_partition(p), members.ids[m as usize].clone())),
            )
        });
        Ok(StickyRun { layout, members, lists, transferring })
    }

    /// `allSubscriptionsEqual` (L132-210), which also fills `consumerToOwnedPartitions`.
    fn all_subscriptions_equal(
        &mut self,
        layout: &Layout,
        members: &Members,
        data: &[IndexedMemberData],
    ) -> Ownership {
        let mut equal = true;
        // `subscribedTopics`: the first non-empty topic list (as a set), and a member that listed it.
        let mut reference: Option<(u32, VecSet<&str>)> = None;
        let mut owned: Vec<Vec<u32>> = vec![Vec::new(); members.len()];
        let mut multi = vec![false; layout.num_indices()];
        let mut previous_owner = vec![NO_MEMBER; layout.num_indices()];
        for &m in &members.java_order {
            let topics = &members.subscriptions[m as usize].topics;
            match &reference {
                None if !topics.is_empty() => {
                    reference = Some((m, VecSet::from_iter(topics.iter().map(String::as_str))));
                }
                Some((first, set)) if equal => {
                    // A list that repeats a topic is longer than the set, so it differs (L149-154) even
                    // from an identical list; an identical list needs no look-ups beyond that.
                    equal = topics.len() == set.len()
                        && (layout.same_list(*first, m) || topics.iter().all(|t| set.contains(t.as_str())));
                }
                _ => {}
            }
            let generation = data[m as usize].generation.unwrap_or(DEFAULT_GENERATION);
            self.max_generation = self.max_generation.max(generation);
            for &p in &data[m as usize].partitions {
                let other = previous_owner[p as usize];
                if other == NO_MEMBER {
                    owned[m as usize].push(p);
                    previous_owner[p as usize] = m;
                    continue;
                }
                let other_generation =
                    members.subscriptions[other as usize].generation_id().unwrap_or(DEFAULT_GENERATION);
                if generation == other_generation {
                    // Same generation: nobody keeps it (L177-185).
                    multi[p as usize] = true;
                    remove_first(&mut owned[other as usize], p);
                    previous_owner[p as usize] = m;
                } else if generation > other_generation {
                    owned[m as usize].push(p);
                    remove_first(&mut owned[other as usize], p);
                    previous_owner[p as usize] = m;
                }
            }
        }
        Ownership { all_subscriptions_equal: equal, owned, multi }
    }
}

/// `List.remove(Object)`: drops the first occurrence.
fn remove_first(list: &mut Vec<u32>, p: u32) {
    if let Some(i) = list.iter().position(|&q| q == p) {
        list.remove(i);
    }
}

/// Kafka's `StickyAssignor` (`"sticky"`): the sticky algorithm under the eager protocol. Previous ownership comes
/// only from the user data each member sends (`StickyAssignor.memberData`, L218-227).
#[derive(Debug, Clone)]
pub struct StickyAssignor {
    core: StickyCore,
    /// The member-side state (`onAssignment`, L204-216): this consumer's last assignment and generation.
    member_assignment: Option<Vec<TopicPartition>>,
    generation: i32,
}

impl Default for StickyAssignor {
    fn default() -> Self {
        Self { core: StickyCore::default(), member_assignment: None, generation: DEFAULT_GENERATION }
    }
}

impl StickyAssignor {
    /// `assign`: the leader's computation. Lists are in Kafka's order: kept partitions first.
    pub fn assign(
        &mut self,
        cluster: &Cluster,
        subscriptions: &GroupSubscription,
    ) -> Result<GroupAssignment, AssignError> {
        let run = self.core.assign_partitions(cluster, subscriptions, Flavor::Eager)?;
        Ok(to_group_assignment(&run.layout, &run.members, &run.lists))
    }

    /// `onAssignment` on a member: remembers its assignment and generation for its next subscription.
    pub fn on_assignment(&mut self, partitions: Vec<TopicPartition>, generation: i32) {
        self.member_assignment = Some(partitions);
        self.generation = generation;
    }

    /// `subscriptionUserData` on a member: V1 user data with its last assignment, or none before the first.
    pub fn subscription_user_data(&self) -> Option<Vec<u8>> {
        self.member_assignment.as_ref().map(|partitions| encode_sticky_v1(partitions, self.generation))
    }

    /// `memberData`: what the leader reads from a member's subscription.
    pub fn member_data(subscription: &Subscription) -> MemberData {
        sticky_member_data(subscription)
    }

    /// `partitionsTransferringOwnership()` of the last call (`None` after a general-builder call).
    pub fn partitions_transferring_ownership(&self) -> Option<&VecMap<TopicPartition, MemberId>> {
        self.core.partitions_transferring_ownership()
    }

    /// `isSticky()` of the last general-builder call.
    pub fn is_sticky(&self) -> bool {
        self.core.is_sticky()
    }

    /// `maxGeneration()`.
    pub fn max_generation(&self) -> i32 {
        self.core.max_generation()
    }

    /// Kafka's test-only `preferRackAwareLogic`.
    pub fn set_prefer_rack_aware_logic(&mut self, prefer: bool) {
        self.core.set_prefer_rack_aware_logic(prefer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    fn v2(topics: &[&str], owned: &[TopicPartition], generation: i32) -> Subscription {
        Subscription {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            user_data: Some(encode_sticky_v1(owned, generation)),
            owned_partitions: owned.to_vec(),
            generation: Some(generation),
            ..Subscription::default()
        }
    }

    #[test]
    fn doubly_claimed_partitions_are_invalidated() {
        // StickyAssignorTest#testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumers...
        let cluster = Cluster::new([("topic".to_string(), 3)].into());
        let subs = vec![
            ("consumer1".into(), v2(&["topic"], &[tp("topic", 0), tp("topic", 1)], 1)),
            ("consumer2".into(), v2(&["topic"], &[tp("topic", 0), tp("topic", 2)], 1)),
            ("consumer3".into(), v2(&["topic"], &[], 1)),
        ];
        let mut assignor = StickyAssignor::default();
        let out = assignor.assign(&cluster, &subs).unwrap();
        assert_eq!(out[&MemberId::from("consumer1")], vec![tp("topic", 1)]);
        assert_eq!(out[&MemberId::from("consumer2")], vec![tp("topic", 2)]);
        assert_eq!(out[&MemberId::from("consumer3")], vec![tp("topic", 0)]);
        let moving = assignor.partitions_transferring_ownership().unwrap();
        assert_eq!(moving.get(&tp("topic", 0)), Some(&MemberId::from("consumer3")));
    }

    #[test]
    fn claimed_partition_beyond_the_topic_is_kept_as_kafka_keeps_it() {
        // Kafka only checks the topic of a claimed partition (L166); printed by Kafka's StickyAssignor.
        let cluster = Cluster::new([("t".to_string(), 2)].into());
        let subs = vec![("a".into(), v2(&["t"], &[tp("t", 5)], 1)), ("b".into(), v2(&["t"], &[], 1))];
        let out = StickyAssignor::default().assign(&cluster, &subs).unwrap();
        assert_eq!(out[&MemberId::from("a")], vec![tp("t", 5)]);
        assert_eq!(out[&MemberId::from("b")], vec![tp("t", 0), tp("t", 1)]);
    }

    #[test]
    fn a_topic_listed_twice_makes_subscriptions_unequal() {
        // ["t", "t"] is longer than the set {t} (L149-154): the general builder runs, so
        // partitionsTransferringOwnership is null, as printed by Kafka's StickyAssignor.
        let cluster = Cluster::new([("t".to_string(), 4)].into());
        let subs = vec![
            ("a".into(), v2(&["t", "t"], &[tp("t", 0), tp("t", 1)], 1)),
            ("b".into(), v2(&["t", "t"], &[tp("t", 2)], 1)),
            ("c".into(), v2(&["t"], &[tp("t", 3)], 1)),
        ];
        let mut assignor = StickyAssignor::default();
        let out = assignor.assign(&cluster, &subs).unwrap();
        assert_eq!(out[&MemberId::from("a")], vec![tp("t", 0), tp("t", 1)]);
        assert_eq!(assignor.partitions_transferring_ownership(), None);
    }

    #[test]
    fn max_generation_is_never_reset() {
        let cluster = Cluster::new([("t".to_string(), 2)].into());
        let mut assignor = StickyAssignor::default();
        assignor.assign(&cluster, &[("a".into(), v2(&["t"], &[tp("t", 0)], 7))]).unwrap();
        assignor.assign(&cluster, &[("a".into(), Subscription::new(["t"]))]).unwrap();
        assert_eq!(assignor.max_generation(), 7);
    }

    #[test]
    fn user_data_round_trips_through_on_assignment() {
        let mut member = StickyAssignor::default();
        assert_eq!(member.subscription_user_data(), None);
        member.on_assignment(vec![tp("t", 1)], 4);
        let sub = Subscription { user_data: member.subscription_user_data(), ..Subscription::new(["t"]) };
        assert_eq!(
            StickyAssignor::member_data(&sub),
            MemberData { partitions: vec![tp("t", 1)], generation: Some(4) }
        );
    }
}
