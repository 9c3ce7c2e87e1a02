//! `RoundRobinAssignor` (`"roundrobin"`), `clients/src/main/java/org/apache/kafka/clients/consumer/RoundRobinAssignor.java`.
//!
//! All partitions of all subscribed topics, topics in name order (a `TreeSet`, L127-129) and partitions
//! ascending, are dealt to the members sorted in `MemberInfo` order (static members first) through one circular
//! iterator (L114-121): a member not subscribed to the partition's topic is skipped, and the iterator position
//! carries over from topic to topic. With identical subscriptions the counts differ by at most one; with
//! different subscriptions the result can be badly unbalanced (javadoc L47-62). It ignores racks (it only
//! overrides the rack-less `assign`, so `assignPartitions` strips them, `AbstractPartitionAssignor.java` L66-71)
//! and previous ownership.

use super::subscribed::SubscribedTopics;
use super::{dedup_members, member_info_cmp, Cluster, GroupAssignment, GroupSubscription, TopicPartition};
use crate::engine::sort;
use crate::engine::vec_map::VecMap;

/// The `RoundRobinAssignor`. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobinAssignor;

impl RoundRobinAssignor {
    /// `assign` (L103-123). Each member's list is in assignment order, which is (topic, partition) order.
    pub fn assign(&self, cluster: &Cluster, subscriptions: &GroupSubscription) -> GroupAssignment {
        let members = dedup_members(subscriptions);
        let mut order: Vec<usize> = (0..members.len()).collect();
        let key = |m: usize| (members[m].0, members[m].1.group_instance_id.as_deref());
        sort::sort_by(&mut order, |&a, &b| member_info_cmp(key(a), key(b)));
        let lists: Vec<&[String]> = members.iter().map(|(_, s)| s.topics.as_slice()).collect();
        // Only topics that exist with partitions contribute partitions, so the others can be left out.
        let topics = SubscribedTopics::new(cluster, &lists);
        let mut lists: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
        let mut next = 0usize;
        // Topic indices follow Java `String` order, the `TreeSet` order of L127-129.
        for t in 0..topics.len() as u32 {
            for partition in 0..topics.count(t) {
                // Some member subscribes to every topic here, so this loop ends.
                while !topics.subscribes(order[next], t) {
                    next = (next + 1) % order.len();
                }
                lists[order[next]].push(TopicPartition::new(topics.name(t), partition));
                next = (next + 1) % order.len();
            }
        }
        VecMap::from_iter(members.iter().map(|(id, _)| (*id).clone()).zip(lists))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MemberId, Subscription};
    use super::*;

    #[test]
    fn iterator_position_carries_across_topics() {
        let cluster = Cluster::new([("t0".to_string(), 3), ("t1".to_string(), 3)].into());
        let both = || Subscription::new(["t0", "t1"]);
        let out = RoundRobinAssignor.assign(&cluster, &[("c1".into(), both()), ("c0".into(), both())]);
        let tp = |t: &str, p| TopicPartition::new(t, p);
        assert_eq!(out[&MemberId::from("c0")], vec![tp("t0", 0), tp("t0", 2), tp("t1", 1)]);
        assert_eq!(out[&MemberId::from("c1")], vec![tp("t0", 1), tp("t1", 0), tp("t1", 2)]);
    }

    #[test]
    fn unsubscribed_members_are_skipped() {
        let cluster = Cluster::new([("t0".to_string(), 2), ("t1".to_string(), 1)].into());
        let subs = [("a".into(), Subscription::new(["t1"])), ("b".into(), Subscription::new(["t0", "t1"]))];
        let out = RoundRobinAssignor.assign(&cluster, &subs);
        assert_eq!(out[&MemberId::from("a")], vec![TopicPartition::new("t1", 0)]);
        assert_eq!(out[&MemberId::from("b")].len(), 2);
    }
}
