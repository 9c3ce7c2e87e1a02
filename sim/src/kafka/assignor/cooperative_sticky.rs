//! `CooperativeStickyAssignor` (`"cooperative-sticky"`),
//! `clients/src/main/java/org/apache/kafka/clients/consumer/CooperativeStickyAssignor.java`.
//!
//! The sticky result, then every partition that changes owner is withheld from its new owner
//! (`assignPartitions` + `adjustAssignment`, L109-128): the constrained builder says which partitions those are
//! (`partitionsTransferringOwnership`); after the general builder they are computed as the partitions newly
//! given to one member that another member reports as owned and is losing (`computePartitionsTransferringOwnership`,
//! L130-156). So a partition is never revoked from one member and given to another in the same rebalance: it
//! stays unassigned for one round. The member that loses partitions revokes them and rejoins
//! (`ConsumerCoordinator.onJoinComplete` L382-408), and in that follow-up rebalance the partition is free.
//!
//! [`CooperativeStickyAssignor::converge`] replays those follow-up rebalances as Kafka's test harness does
//! (`CooperativeStickyAssignorTest.verifyValidityAndBalance` L237-262): every member re-subscribes owning its
//! current assignment at a given generation, until no member loses a partition (at most 4 follow-ups).

use super::sticky::{Flavor, StickyCore};
use super::sticky_layout::{to_group_assignment, NO_MEMBER};
use super::user_data::{cooperative_member_data, encode_cooperative, MemberData};
use super::{
    dedup_members, AssignError, Cluster, GroupAssignment, GroupSubscription, MemberId, Subscription,
    TopicPartition, DEFAULT_GENERATION,
};
use crate::engine::vec_map::VecMap;

/// How many follow-up rebalances Kafka's test harness allows before it calls the assignment divergent.
pub const MAX_FOLLOW_UP_ROUNDS: u32 = 4;

/// The cooperative sticky assignor, with the state Kafka's instance keeps.
#[derive(Debug, Clone)]
pub struct CooperativeStickyAssignor {
    core: StickyCore,
    /// The member-side generation (`onAssignment`, L71-74), written into the user data.
    generation: i32,
}

impl Default for CooperativeStickyAssignor {
    fn default() -> Self {
        Self { core: StickyCore::default(), generation: DEFAULT_GENERATION }
    }
}

/// The outcome of the follow-up rebalances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convergence {
    /// The assignment after the last round.
    pub assignment: GroupAssignment,
    /// How many follow-up rebalances ran.
    pub rounds: u32,
    /// Whether the last assignment revokes nothing (false if it still did after [`MAX_FOLLOW_UP_ROUNDS`]).
    pub converged: bool,
}

impl CooperativeStickyAssignor {
    /// `assign`: the sticky assignment with the partitions that change owner withheld.
    pub fn assign(
        &mut self,
        cluster: &Cluster,
        subscriptions: &GroupSubscription,
    ) -> Result<GroupAssignment, AssignError> {
        let mut run = self.core.assign_partitions(cluster, subscriptions, Flavor::Cooperative)?;
        let transferring = match run.transferring.take() {
            Some(moving) => moving,
            None => partitions_transferring_ownership(&run),
        };
        for (p, member) in transferring {
            let list = &mut run.lists[member as usize];
            if let Some(i) = list.iter().position(|&q| q == p) {
                list.remove(i);
            }
        }
        Ok(to_group_assignment(&run.layout, &run.members, &run.lists))
    }

    /// Runs the follow-up rebalances after `first` (the result of [`assign`](Self::assign) on `subscriptions`):
    /// while some member loses a partition it owned, every member re-subscribes (same topics, rack and instance
    /// id) owning its current partitions at `generation`, and the group is assigned again on this instance.
    pub fn converge(
        &mut self,
        cluster: &Cluster,
        subscriptions: &GroupSubscription,
        first: GroupAssignment,
        generation: i32,
    ) -> Result<Convergence, AssignError> {
        let mut subscriptions: Vec<(MemberId, Subscription)> =
            dedup_members(subscriptions).into_iter().map(|(id, s)| (id.clone(), s.clone())).collect();
        let mut assignment = first;
        let mut rounds = 0;
        loop {
            if !revokes_any(&subscriptions, &assignment) {
                return Ok(Convergence { assignment, rounds, converged: true });
            }
            if rounds == MAX_FOLLOW_UP_ROUNDS {
                return Ok(Convergence { assignment, rounds, converged: false });
            }
            for (id, subscription) in &mut subscriptions {
                subscription.owned_partitions = assignment.get(id).cloned().unwrap_or_default();
                subscription.generation = Some(generation);
                subscription.user_data = Some(self.subscription_user_data());
            }
            assignment = self.assign(cluster, &subscriptions)?;
            rounds += 1;
        }
    }

    /// `onAssignment` on a member: remembers the generation for its user data.
    pub fn on_assignment(&mut self, generation: i32) {
        self.generation = generation;
    }

    /// The member-side generation set by [`on_assignment`](Self::on_assignment) (-1 before the first).
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// `subscriptionUserData` (L76-85): the member's generation (-1 before its first assignment).
    pub fn subscription_user_data(&self) -> Vec<u8> {
        encode_cooperative(self.generation)
    }

    /// `memberData`: owned partitions from the subscription, generation from the protocol or the user data.
    pub fn member_data(subscription: &Subscription) -> MemberData {
        cooperative_member_data(subscription)
    }

    /// `partitionsTransferringOwnership()` of the last call: as computed by the constrained builder, `None` after
    /// the general builder (Kafka's field, which the cooperative adjustment does not fill in).
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

/// `computePartitionsTransferringOwnership` (L130-156): partitions newly assigned to one member (not in its
/// `ownedPartitions`) that some member owned and is not assigned any more.
fn partitions_transferring_ownership(run: &super::sticky::StickyRun) -> Vec<(u32, u32)> {
    let n = run.layout.num_indices();
    let mut added = vec![NO_MEMBER; n];
    let mut revoked = vec![false; n];
    // Per-member marks, stamped with the member index so they need no clearing between members.
    let mut owned_by = vec![NO_MEMBER; n];
    let mut assigned_to = vec![NO_MEMBER; n];
    // Kafka iterates its assignment `HashMap`: a partition added to two members (possible only with ghost
    // partitions) ends up with the later one.
    for &m in &run.members.java_order {
        let list = &run.lists[m as usize];
        let owned = run.layout.indices(&run.members.subscriptions[m as usize].owned_partitions);
        owned.iter().for_each(|&p| owned_by[p as usize] = m);
        list.iter().for_each(|&p| assigned_to[p as usize] = m);
        for &p in list {
            if owned_by[p as usize] != m {
                added[p as usize] = m;
            }
        }
        for &p in &owned {
            if assigned_to[p as usize] != m {
                revoked[p as usize] = true;
            }
        }
    }
    (0..n as u32)
        .filter(|&p| added[p as usize] != NO_MEMBER && revoked[p as usize])
        .map(|p| (p, added[p as usize]))
        .collect()
}

/// Kafka's test loop condition (`verifyCooperativeValidity`, L264-289): some member loses a partition it owned.
pub fn revokes_any(subscriptions: &[(MemberId, Subscription)], assignment: &GroupAssignment) -> bool {
    subscriptions.iter().any(|(id, sub)| {
        let assigned: crate::engine::vec_map::VecSet<&TopicPartition> =
            assignment.get(id).map(|l| l.iter().collect()).unwrap_or_default();
        sub.owned_partitions.iter().any(|tp| !assigned.contains(tp))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    #[test]
    fn moving_partition_is_withheld_then_converges() {
        // AbstractStickyAssignorTest#testAddRemoveConsumerOneTopic, second step.
        let cluster = Cluster::new([("topic".to_string(), 3)].into());
        let owner = Subscription {
            owned_partitions: vec![tp("topic", 0), tp("topic", 1), tp("topic", 2)],
            generation: Some(1),
            ..Subscription::new(["topic"])
        };
        let joiner = Subscription { generation: Some(1), ..Subscription::new(["topic"]) };
        let subs = vec![("consumer1".into(), owner), ("consumer2".into(), joiner)];
        let mut assignor = CooperativeStickyAssignor::default();
        let first = assignor.assign(&cluster, &subs).unwrap();
        assert_eq!(first[&MemberId::from("consumer1")], vec![tp("topic", 0), tp("topic", 1)]);
        assert!(first[&MemberId::from("consumer2")].is_empty());
        let moving = assignor.partitions_transferring_ownership().unwrap();
        assert_eq!(moving.get(&tp("topic", 2)), Some(&MemberId::from("consumer2")));
        let done = assignor.converge(&cluster, &subs, first, 1).unwrap();
        assert!(done.converged);
        assert_eq!(done.rounds, 1);
        assert_eq!(done.assignment[&MemberId::from("consumer2")], vec![tp("topic", 2)]);
    }
}
