//! `RangeAssignor` (`"range"`), `clients/src/main/java/org/apache/kafka/clients/consumer/RangeAssignor.java`.
//!
//! Per topic, independently: sort the topic's subscribers (`MemberInfo` order: static members by instance id
//! first, then the others by member id); with `P` partitions and `C` subscribers the first `P % C` get
//! `P / C + 1` contiguous partitions and the rest `P / C` (L244-245, L275-285). There is no balancing across
//! topics: with many one-partition topics, the first subscriber gets them all.
//!
//! Rack-aware pass (L135-137), only when some topic needs it (`useRackAwareAssignment`): before the plain
//! pass, topics with the same subscribers and partition count ("co-partitioned") hand out partition `p` of
//! every such topic to the first subscriber whose rack holds all of them and who still has room (L186-209);
//! a lone topic that needs rack-awareness hands out, per subscriber, only partitions with a replica on its
//! rack (L139, `assignRanges` with `racksMatch`). The plain pass then gives out what is left with the same
//! per-subscriber capacities, so per-topic balance is the same as without racks.

use super::java_compat::{hash_map_order, string_hash};
use super::subscribed::SubscribedTopics;
use super::{
    dedup_members, member_info_cmp, use_rack_aware_assignment, Cluster, GroupAssignment, GroupSubscription,
    MemberId, Subscription, TopicPartition,
};
use crate::engine::sort;
use crate::engine::vec_map::{VecMap, VecSet};

/// The client `RangeAssignor`. Stateless apart from Kafka's test-only rack switch.
#[derive(Debug, Clone, Default)]
pub struct RangeAssignor {
    /// Kafka's test-only `preferRackAwareLogic` (`AbstractPartitionAssignor.java` L48-49).
    pub prefer_rack_aware_logic: bool,
}

/// One topic's assignment state: Kafka's `TopicAssignmentState` (L212-315).
#[derive(Debug)]
struct TopicState<'a> {
    topic: &'a str,
    /// The topic's subscribers (member positions), in `MemberInfo` order.
    consumers: Vec<usize>,
    /// Each subscriber's non-empty rack, aligned with `consumers`.
    consumer_racks: Vec<Option<&'a str>>,
    /// Each partition's replica racks (sorted, distinct); empty when no subscriber has a rack.
    partition_racks: Vec<Vec<&'a str>>,
    needs_rack_aware_assignment: bool,
    assigned: Vec<bool>,
    /// The first partition that may still be unassigned (everything before it is assigned).
    cursor: usize,
    num_unassigned: usize,
    /// Partitions given to each subscriber so far, aligned with `consumers`.
    num_assigned: Vec<usize>,
    num_partitions_per_consumer: usize,
    remaining_consumers_with_extra_partition: usize,
}

impl<'a> TopicState<'a> {
    /// The constructor (L224-260).
    fn new(
        topic: &'a str,
        num_partitions: usize,
        consumers: Vec<usize>,
        racks: &[Option<&'a str>],
        cluster: &'a Cluster,
        prefer: bool,
    ) -> Self {
        let consumer_racks: Vec<Option<&str>> = consumers.iter().map(|&m| racks[m]).collect();
        let mut all_consumer_racks: Vec<&str> = consumer_racks.iter().flatten().copied().collect();
        sort::sort(&mut all_consumer_racks);
        all_consumer_racks.dedup();
        // Replica racks are only looked at when some subscriber has a rack (L248-258).
        let partition_racks: Vec<Vec<&str>> = if all_consumer_racks.is_empty() {
            Vec::new()
        } else {
            (0..num_partitions).map(|p| distinct_racks(cluster.racks_of(topic, p as i32))).collect()
        };
        let mut all_partition_racks: Vec<&str> = partition_racks.iter().flatten().copied().collect();
        sort::sort(&mut all_partition_racks);
        all_partition_racks.dedup();
        let needs_rack_aware_assignment = use_rack_aware_assignment(
            &all_consumer_racks,
            &all_partition_racks,
            partition_racks.iter().map(Vec::as_slice),
            prefer,
        );
        let c = consumers.len();
        Self {
            topic,
            num_assigned: vec![0; c],
            consumers,
            consumer_racks,
            partition_racks,
            needs_rack_aware_assignment,
            assigned: vec![false; num_partitions],
            cursor: 0,
            num_unassigned: num_partitions,
            num_partitions_per_consumer: num_partitions.checked_div(c).unwrap_or(0),
            remaining_consumers_with_extra_partition: num_partitions.checked_rem(c).unwrap_or(0),
        }
    }

    /// `maxAssignable` (L275-278): room left for the subscriber at `pos`.
    fn max_assignable(&self, pos: usize) -> usize {
        let extra = usize::from(self.remaining_consumers_with_extra_partition > 0);
        (self.num_partitions_per_consumer + extra).saturating_sub(self.num_assigned[pos])
    }

    /// `racksMatch` (L269-273): a subscriber without rack matches everything.
    fn racks_match(&self, pos: usize, partition: usize) -> bool {
        match self.consumer_racks[pos] {
            None => true,
            Some(rack) => self.partition_racks.get(partition).is_some_and(|r| r.contains(&rack)),
        }
    }

    /// `onAssigned` (L280-285): one subscriber above the base quota uses up one "extra" slot.
    fn on_assigned(&mut self, pos: usize, partitions: &[usize]) {
        self.num_assigned[pos] += partitions.len();
        if self.num_assigned[pos] > self.num_partitions_per_consumer {
            self.remaining_consumers_with_extra_partition =
                self.remaining_consumers_with_extra_partition.saturating_sub(1);
        }
        for &p in partitions {
            self.assigned[p] = true;
        }
        self.num_unassigned -= partitions.len();
        while self.cursor < self.assigned.len() && self.assigned[self.cursor] {
            self.cursor += 1;
        }
    }

    /// The first `limit` unassigned partitions, in partition order, that pass `filter`.
    fn take(&self, limit: usize, filter: impl Fn(usize) -> bool) -> Vec<usize> {
        (self.cursor..self.assigned.len()).filter(|&p| !self.assigned[p] && filter(p)).take(limit).collect()
    }
}

/// A partition's replica racks as a sorted set.
fn distinct_racks(racks: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = racks.iter().map(String::as_str).collect();
    sort::sort(&mut out);
    out.dedup();
    out
}

impl RangeAssignor {
    /// `assignPartitions` (L124-147): every member gets an entry; lists are sorted by topic and partition when
    /// the rack-aware pass ran, and otherwise grouped by topic in Kafka's `HashMap` order of topic names.
    pub fn assign(&self, cluster: &Cluster, subscriptions: &GroupSubscription) -> GroupAssignment {
        let members = dedup_members(subscriptions);
        let lists: Vec<&[String]> = members.iter().map(|(_, s)| s.topics.as_slice()).collect();
        let topics = SubscribedTopics::new(cluster, &lists);
        let racks: Vec<Option<&str>> =
            members.iter().map(|(_, s)| s.rack.as_deref().filter(|r| !r.is_empty())).collect();
        let mut subscribers = subscribers_per_topic(&members, &topics);
        let mut states: Vec<TopicState> = topics_in_java_order(&members, &topics)
            .into_iter()
            .map(|t| {
                let consumers = std::mem::take(&mut subscribers[t as usize]);
                let (topic, count) = (topics.name(t), topics.count(t) as usize);
                TopicState::new(topic, count, consumers, &racks, cluster, self.prefer_rack_aware_logic)
            })
            .collect();
        let mut lists: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
        let use_rack_aware = states.iter().any(|t| t.needs_rack_aware_assignment);
        if use_rack_aware {
            assign_with_rack_matching(&mut states, &mut lists);
        }
        for state in &mut states {
            assign_ranges(state, false, &mut lists);
        }
        if use_rack_aware {
            lists.iter_mut().for_each(|l| sort::sort(l));
        }
        VecMap::from_iter(members.iter().map(|(id, _)| (*id).clone()).zip(lists))
    }
}

/// The subscribed topics in the iteration order of Kafka's `partitionsPerTopic` `HashMap` (the order a member's
/// list is grouped by when no rack-aware pass ran): `AbstractPartitionAssignor.assign` (L75-90) collects every
/// subscribed name into a `HashSet`, visiting members in their `HashMap` order, then puts the existing topics
/// into `partitionsPerTopic` in that set's order.
fn topics_in_java_order(members: &[(&MemberId, &Subscription)], topics: &SubscribedTopics) -> Vec<u32> {
    let member_hashes: Vec<i32> = members.iter().map(|(id, _)| string_hash(id.as_str())).collect();
    let mut lists_seen = VecSet::new();
    let mut names_seen = VecSet::new();
    let mut names: Vec<&str> = Vec::new();
    for m in hash_map_order(&member_hashes) {
        // A member with the same list as one already visited adds no new name.
        if !lists_seen.insert(topics.list_id(m as usize)) {
            continue;
        }
        for name in &members[m as usize].1.topics {
            if names_seen.insert(name.as_str()) {
                names.push(name);
            }
        }
    }
    let name_hashes: Vec<i32> = names.iter().map(|n| string_hash(n)).collect();
    let existing: Vec<u32> =
        hash_map_order(&name_hashes).into_iter().filter_map(|i| topics.index(names[i as usize])).collect();
    let topic_hashes: Vec<i32> = existing.iter().map(|&t| string_hash(topics.name(t))).collect();
    hash_map_order(&topic_hashes).into_iter().map(|i| existing[i as usize]).collect()
}

/// Each topic's subscribers in `MemberInfo` order (`consumersPerTopic`, L106-113, sorted at L237). A topic
/// listed twice by one member counts once, as Kafka's `LinkedHashMap` of consumers does.
fn subscribers_per_topic(
    members: &[(&MemberId, &Subscription)],
    topics: &SubscribedTopics,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..members.len()).collect();
    let key = |m: usize| (members[m].0, members[m].1.group_instance_id.as_deref());
    sort::sort_by(&mut order, |&a, &b| member_info_cmp(key(a), key(b)));
    let mut subscribers: Vec<Vec<usize>> = vec![Vec::new(); topics.len()];
    for m in order {
        for &t in topics.set_of(m) {
            subscribers[t as usize].push(m);
        }
    }
    subscribers
}

/// `assignRanges` (L153-168): each subscriber in order takes the next unassigned partitions it may take, up to
/// its room. `rack_matching` restricts each subscriber to partitions on its rack.
fn assign_ranges(state: &mut TopicState, rack_matching: bool, lists: &mut [Vec<TopicPartition>]) {
    for pos in 0..state.consumers.len() {
        if state.num_unassigned == 0 {
            break;
        }
        let limit = state.max_assignable(pos);
        let partitions = state.take(limit, |p| !rack_matching || state.racks_match(pos, p));
        if !partitions.is_empty() {
            give(state, pos, &partitions, lists);
        }
    }
}

/// `assign` (L211-214): append to the member's list and update the topic's bookkeeping.
fn give(state: &mut TopicState, pos: usize, partitions: &[usize], lists: &mut [Vec<TopicPartition>]) {
    let member = state.consumers[pos];
    lists[member].extend(partitions.iter().map(|&p| TopicPartition::new(state.topic, p as i32)));
    state.on_assigned(pos, partitions);
}

/// `assignWithRackMatching` (L170-184): group topics by subscriber list, then by partition count (the number
/// of partitions whose racks were looked at, 0 when no subscriber has a rack); groups of two or more are
/// co-partitioned, a lone topic is rack-matched only if it needs it.
fn assign_with_rack_matching(states: &mut [TopicState], lists: &mut [Vec<TopicPartition>]) {
    let mut groups: VecMap<(Vec<usize>, usize), Vec<usize>> = VecMap::new();
    for (i, state) in states.iter().enumerate() {
        groups.entry((state.consumers.clone(), state.partition_racks.len())).or_default().push(i);
    }
    for ((_, num_partitions), group) in groups {
        if group.len() > 1 {
            assign_co_partitioned_with_rack_matching(states, &group, num_partitions, lists);
        } else if states[group[0]].needs_rack_aware_assignment {
            assign_ranges(&mut states[group[0]], true, lists);
        }
    }
}

/// `assignCoPartitionedWithRackMatching` (L186-209): partition `p` of every topic of the group goes to the first
/// remaining subscriber that matches racks and has room in all of them; a subscriber without room in any of
/// them leaves the candidate list.
fn assign_co_partitioned_with_rack_matching(
    states: &mut [TopicState],
    group: &[usize],
    num_partitions: usize,
    lists: &mut [Vec<TopicPartition>],
) {
    // Same subscribers in the same order in every topic of the group, so positions agree across topics.
    let mut remaining: Vec<usize> = (0..states[group[0]].consumers.len()).collect();
    for p in 0..num_partitions {
        let matching = remaining.iter().position(|&pos| {
            group.iter().all(|&t| states[t].racks_match(pos, p) && states[t].max_assignable(pos) > 0)
        });
        let Some(index) = matching else { continue };
        let pos = remaining[index];
        for &t in group {
            give(&mut states[t], pos, &[p], lists);
        }
        if group.iter().all(|&t| states[t].max_assignable(pos) == 0) {
            remaining.remove(index);
            if remaining.is_empty() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(topics: &[&str]) -> Subscription {
        Subscription::new(topics.iter().copied())
    }

    fn tps(list: &[(&str, i32)]) -> Vec<TopicPartition> {
        list.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect()
    }

    #[test]
    fn first_members_get_the_extra_partition() {
        let cluster = Cluster::new([("t".to_string(), 5)].into());
        let subs = vec![("c2".into(), sub(&["t"])), ("c1".into(), sub(&["t"]))];
        let out = RangeAssignor::default().assign(&cluster, &subs);
        assert_eq!(out[&MemberId::from("c1")], tps(&[("t", 0), ("t", 1), ("t", 2)]));
        assert_eq!(out[&MemberId::from("c2")], tps(&[("t", 3), ("t", 4)]));
    }

    #[test]
    fn static_members_sort_first_and_unknown_topics_are_skipped() {
        let cluster = Cluster::new([("t".to_string(), 2)].into());
        let mut b = sub(&["t", "missing"]);
        b.group_instance_id = Some("i".into());
        let subs = vec![("a".into(), sub(&["t"])), ("b".into(), b), ("c".into(), sub(&[]))];
        let out = RangeAssignor::default().assign(&cluster, &subs);
        assert_eq!(out[&MemberId::from("b")], tps(&[("t", 0)]));
        assert_eq!(out[&MemberId::from("a")], tps(&[("t", 1)]));
        assert!(out[&MemberId::from("c")].is_empty());
    }

    #[test]
    fn rack_aware_pass_aligns_partitions_with_racks() {
        let mut cluster = Cluster::new([("t".to_string(), 2)].into());
        cluster.partition_racks.insert("t".into(), vec![vec!["b".into()], vec!["a".into()]]);
        let mut a = sub(&["t"]);
        a.rack = Some("a".into());
        let mut b = sub(&["t"]);
        b.rack = Some("b".into());
        let out = RangeAssignor::default().assign(&cluster, &[("c0".into(), a), ("c1".into(), b)]);
        assert_eq!(out[&MemberId::from("c0")], tps(&[("t", 1)]));
        assert_eq!(out[&MemberId::from("c1")], tps(&[("t", 0)]));
    }
}
