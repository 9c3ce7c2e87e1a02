//! Members' topic lists resolved against the metadata: the topics an assignment covers and, per member, its
//! topics as indices.
//!
//! Kafka's assignors look topics up by name in hash maps, over and over. Here each distinct topic list is
//! resolved once (members of a group nearly always share one subscription, so consecutive equal lists are
//! resolved together), and the assignors work on `u32` topic indices.

use super::java_compat::java_cmp;
use super::Cluster;
use crate::engine::sort;
use crate::engine::vec_map::VecSet;

/// The subscribed topics of one assignment and each member's topics.
#[derive(Debug)]
pub(crate) struct SubscribedTopics {
    /// The topics some member subscribes to that exist with at least one partition, in Java `String` order
    /// (`AbstractPartitionAssignor.assign`, L73-99: others are skipped).
    names: Vec<String>,
    /// Partition counts, aligned with `names`.
    counts: Vec<i32>,
    /// Each distinct list, resolved: topic indices in the member's order, unknown topics dropped, repeats kept.
    lists: Vec<Vec<u32>>,
    /// Each distinct list as a sorted set.
    sets: Vec<Vec<u32>>,
    /// Each member's distinct list.
    member_list: Vec<u32>,
}

impl SubscribedTopics {
    /// Resolves the members' topic lists (in member order).
    pub(crate) fn new(cluster: &Cluster, topic_lists: &[&[String]]) -> Self {
        let mut distinct: Vec<&[String]> = Vec::new();
        let mut member_list = Vec::with_capacity(topic_lists.len());
        for &list in topic_lists {
            if distinct.last() != Some(&list) {
                distinct.push(list);
            }
            member_list.push(distinct.len() as u32 - 1);
        }
        let exists = |t: &str| cluster.partitions_per_topic.get(t).is_some_and(|&n| n > 0);
        let known: VecSet<&str> = VecSet::from_iter(
            distinct.iter().flat_map(|l| l.iter()).map(String::as_str).filter(|t| exists(t)),
        );
        let mut names: Vec<String> = known.into_iter().map(str::to_string).collect();
        sort::sort_by(&mut names, |a, b| java_cmp(a, b));
        let counts =
            names.iter().map(|t| cluster.partitions_per_topic.get(t).copied().unwrap_or(0)).collect();
        let mut topics = Self { names, counts, lists: Vec::new(), sets: Vec::new(), member_list };
        for list in distinct {
            let resolved: Vec<u32> = list.iter().filter_map(|t| topics.index(t)).collect();
            let mut set = resolved.clone();
            sort::sort_u32(&mut set);
            set.dedup();
            topics.lists.push(resolved);
            topics.sets.push(set);
        }
        topics
    }

    /// The number of topics.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// A topic's name.
    pub(crate) fn name(&self, t: u32) -> &str {
        &self.names[t as usize]
    }

    /// A topic's partition count.
    pub(crate) fn count(&self, t: u32) -> i32 {
        self.counts[t as usize]
    }

    /// A topic's index by name.
    pub(crate) fn index(&self, name: &str) -> Option<u32> {
        self.names.binary_search_by(|t| java_cmp(t, name)).ok().map(|i| i as u32)
    }

    /// A member's topics as it listed them (known topics only, repeats kept).
    pub(crate) fn of(&self, member: usize) -> &[u32] {
        &self.lists[self.member_list[member] as usize]
    }

    /// A member's topics as a sorted set.
    pub(crate) fn set_of(&self, member: usize) -> &[u32] {
        &self.sets[self.member_list[member] as usize]
    }

    /// Whether a member subscribes to a topic.
    pub(crate) fn subscribes(&self, member: usize, t: u32) -> bool {
        self.set_of(member).binary_search(&t).is_ok()
    }

    /// The member's distinct-list number (members with equal numbers listed the same topics).
    pub(crate) fn list_id(&self, member: usize) -> u32 {
        self.member_list[member]
    }

    /// Whether two members listed the very same topics (a cheap, conservative test: equal lists that were not
    /// adjacent may answer false).
    pub(crate) fn same_list(&self, a: usize, b: usize) -> bool {
        self.member_list[a] == self.member_list[b]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_known_topics_in_java_order() {
        let cluster =
            Cluster::new([("b".to_string(), 1), ("a".to_string(), 2), ("empty".to_string(), 0)].into());
        let l1: Vec<String> = vec!["b".into(), "x".into(), "a".into(), "b".into()];
        let l2: Vec<String> = vec!["empty".into()];
        let topics = SubscribedTopics::new(&cluster, &[&l1, &l1, &l2]);
        assert_eq!(topics.len(), 2);
        assert_eq!((topics.name(0), topics.count(0)), ("a", 2));
        assert_eq!(topics.of(0), &[1, 0, 1]);
        assert_eq!(topics.set_of(1), &[0, 1]);
        assert!(topics.of(2).is_empty());
        assert!(topics.same_list(0, 1) && !topics.same_list(1, 2));
        assert!(topics.subscribes(0, 0) && !topics.subscribes(2, 0));
    }
}
