//! The KIP-848 group coordinator's `RangeAssignor` (Kafka name `"range"`; `"server-range"` here),
//! `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/RangeAssignor.java`.
//!
//! Stateless and, in this Kafka version, blind to the current assignment: members sorted static-first by
//! instance id, then by member id (`sortMemberIds`, L243-263); per topic, `minQuota = P / subscribers` and the
//! first `P % subscribers` subscribers in that order get one more, as contiguous ranges
//! (`addPartitionsToAssignment`, L272-293). A homogeneous group (every member subscribes to the same topics)
//! counts all members as subscribers of the first member's topics (L147-177); a heterogeneous one counts each
//! topic's subscribers (L183-229). A subscription to a topic the coordinator does not know is refused with a
//! `PartitionAssignorException` (L159-161, L201-203). No rack awareness.
//!
//! The coordinator reconciles the target assignment with each member (revoke first, then assign), so there is
//! no cooperative "withhold" step here.

use super::{
    dedup_members, member_info_cmp, AssignError, Cluster, GroupAssignment, GroupSubscription, Subscription,
    TopicPartition,
};
use crate::engine::sort;
use crate::engine::vec_map::{VecMap, VecSet};

/// The coordinator-side `RangeAssignor`. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerRangeAssignor;

/// `TopicMetadata` (L96-135): a topic's partition count, subscriber count and the next range to hand out.
#[derive(Debug, Clone, Copy)]
struct TopicRanges {
    num_partitions: i32,
    num_members: i32,
    min_quota: i32,
    extra_partitions: i32,
    next_range: i32,
}

impl TopicRanges {
    fn new(num_partitions: i32, num_members: i32) -> Self {
        Self { num_partitions, num_members, min_quota: -1, extra_partitions: -1, next_range: 0 }
    }

    /// `maybeComputeQuota` + `addPartitionsToAssignment` (L116-125, L272-293): the next member's range.
    fn next(&mut self) -> std::ops::Range<i32> {
        if self.min_quota == -1 {
            self.min_quota = self.num_partitions / self.num_members;
            self.extra_partitions = self.num_partitions % self.num_members;
        }
        let mut quota = self.min_quota;
        if self.extra_partitions > 0 {
            quota += 1;
            self.extra_partitions -= 1;
        }
        let start = self.next_range;
        let end = (start + quota).min(self.num_partitions);
        self.next_range = end;
        start..end
    }
}

impl ServerRangeAssignor {
    /// `assign` (L305-316). Each member's partitions are sorted by topic and partition.
    pub fn assign(
        &self,
        cluster: &Cluster,
        subscriptions: &GroupSubscription,
    ) -> Result<GroupAssignment, AssignError> {
        let members = dedup_members(subscriptions);
        if members.is_empty() {
            return Ok(GroupAssignment::new());
        }
        let mut order: Vec<usize> = (0..members.len()).collect();
        let key = |m: usize| (members[m].0, members[m].1.group_instance_id.as_deref());
        sort::sort_by(&mut order, |&a, &b| member_info_cmp(key(a), key(b)));
        // Subscriptions are topic-id sets on the coordinator.
        let topic_sets: Vec<VecSet<&str>> = members.iter().map(|(_, s)| topic_set(s)).collect();
        let homogeneous = topic_sets.iter().all(|t| *t == topic_sets[0]);
        let mut ranges = if homogeneous {
            homogeneous_topics(cluster, &topic_sets[order[0]], members.len())?
        } else {
            heterogeneous_topics(cluster, &topic_sets, &order)?
        };
        let mut assignment = GroupAssignment::new();
        for m in order {
            let mut partitions = Vec::new();
            for topic in &topic_sets[m] {
                let Some(topic_ranges) = ranges.get_mut(topic) else { continue };
                partitions.extend(topic_ranges.next().map(|p| TopicPartition::new(*topic, p)));
            }
            sort::sort(&mut partitions);
            assignment.insert(members[m].0.clone(), partitions);
        }
        Ok(assignment)
    }
}

fn topic_set(subscription: &Subscription) -> VecSet<&str> {
    VecSet::from_iter(subscription.topics.iter().map(String::as_str))
}

/// The partition count of a subscribed topic, or the coordinator's refusal.
fn partitions_of(cluster: &Cluster, topic: &str) -> Result<i32, AssignError> {
    cluster
        .partitions_per_topic
        .get(topic)
        .copied()
        .ok_or_else(|| AssignError::NonexistentTopic { topic: topic.to_string() })
}

/// `assignHomogeneousGroup` (L147-177): every member subscribes to the first member's topics.
fn homogeneous_topics<'a>(
    cluster: &Cluster,
    topics: &VecSet<&'a str>,
    num_members: usize,
) -> Result<VecMap<&'a str, TopicRanges>, AssignError> {
    let mut ranges = VecMap::new();
    for &topic in topics {
        ranges.insert(topic, TopicRanges::new(partitions_of(cluster, topic)?, num_members as i32));
    }
    Ok(ranges)
}

/// `assignHeterogeneousGroup` (L183-229): each topic's subscriber count, visiting members in sorted order.
fn heterogeneous_topics<'a>(
    cluster: &Cluster,
    topic_sets: &[VecSet<&'a str>],
    order: &[usize],
) -> Result<VecMap<&'a str, TopicRanges>, AssignError> {
    let mut ranges: VecMap<&str, TopicRanges> = VecMap::new();
    for &m in order {
        for &topic in &topic_sets[m] {
            if !ranges.contains_key(topic) {
                ranges.insert(topic, TopicRanges::new(partitions_of(cluster, topic)?, 0));
            }
            if let Some(r) = ranges.get_mut(topic) {
                r.num_members += 1;
            }
        }
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::super::MemberId;
    use super::*;

    #[test]
    fn heterogeneous_counts_each_topics_subscribers() {
        let cluster =
            Cluster::new([("t1".to_string(), 3), ("t2".to_string(), 3), ("t3".to_string(), 2)].into());
        let subs: Vec<(MemberId, Subscription)> = vec![
            ("A".into(), Subscription::new(["t1", "t2"])),
            ("B".into(), Subscription::new(["t3"])),
            ("C".into(), Subscription::new(["t2", "t3"])),
        ];
        let out = ServerRangeAssignor.assign(&cluster, &subs).unwrap();
        let tp = |t: &str, p| TopicPartition::new(t, p);
        assert_eq!(
            out[&MemberId::from("A")],
            vec![tp("t1", 0), tp("t1", 1), tp("t1", 2), tp("t2", 0), tp("t2", 1)]
        );
        assert_eq!(out[&MemberId::from("B")], vec![tp("t3", 0)]);
        assert_eq!(out[&MemberId::from("C")], vec![tp("t2", 2), tp("t3", 1)]);
    }

    #[test]
    fn unknown_topic_is_refused() {
        let cluster = Cluster::default();
        let err =
            ServerRangeAssignor.assign(&cluster, &[("A".into(), Subscription::new(["x"]))]).unwrap_err();
        assert_eq!(err, AssignError::NonexistentTopic { topic: "x".into() });
    }
}
