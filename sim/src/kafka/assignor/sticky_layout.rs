//! The sticky assignors' inputs turned into dense indices, so that the builders' inner loops work on `Vec`s
//! instead of maps keyed by strings.
//!
//! Partitions: topics sorted as Kafka sorts topic names (`Collections.sort`, Java `String` order), partitions
//! ascending; a partition's index is its topic's offset plus its id. Index order is therefore Kafka's
//! "all partitions sorted by topic, then partition" order (`getUnassignedPartitions`, L883-919).
//! Members: in input order (the order the leader received them), with their rank in member-id order and the
//! order Kafka's `HashMap`s of members iterate in.
//!
//! "Ghost" partitions: a member may claim a partition of a known topic whose id is out of range (the topic was
//! deleted and recreated with fewer partitions). Kafka only checks the topic (`allTopics.contains`, L166), so
//! it keeps such a claim and the partition ends up in the owner's list; its unassigned-partition walks then get
//! lost (L883-919, L1081-1110) and hand some partitions out twice. To reproduce that, ghosts get indices after
//! the real partitions (`num_partitions()..num_indices()`), registered as member data is read.

use super::java_compat::{hash_map_order, string_hash, topic_partition_hash};
use super::subscribed::SubscribedTopics;
use super::{dedup_members, Cluster, GroupSubscription, MemberId, Subscription, TopicPartition};
use crate::engine::sort;
use crate::engine::vec_map::VecMap;

/// The sentinel for "no member" in per-partition member arrays.
pub(super) const NO_MEMBER: u32 = u32::MAX;

/// The topics and partitions of one assignment, indexed, and each member's topics.
#[derive(Debug)]
pub(super) struct Layout {
    topics: SubscribedTopics,
    topic_hashes: Vec<i32>,
    /// `offsets[t]..offsets[t + 1]` are topic `t`'s partition indices.
    offsets: Vec<u32>,
    /// The topic of each partition index.
    partition_topic: Vec<u32>,
    /// Ghost partitions by (topic, id), and each ghost's topic and id (index `num_partitions() + i`).
    ghosts: VecMap<(u32, i32), u32>,
    ghost_partitions: Vec<(u32, i32)>,
}

impl Layout {
    /// The subscribed topics that exist with at least one partition (`AbstractPartitionAssignor.assign`).
    pub(super) fn new(cluster: &Cluster, members: &Members) -> Self {
        let lists: Vec<&[String]> = members.subscriptions.iter().map(|s| s.topics.as_slice()).collect();
        let topics = SubscribedTopics::new(cluster, &lists);
        let mut offsets = vec![0u32];
        let mut partition_topic = Vec::new();
        for t in 0..topics.len() as u32 {
            partition_topic.extend(std::iter::repeat_n(t, topics.count(t) as usize));
            offsets.push(partition_topic.len() as u32);
        }
        let topic_hashes = (0..topics.len() as u32).map(|t| string_hash(topics.name(t))).collect();
        Self {
            topics,
            topic_hashes,
            offsets,
            partition_topic,
            ghosts: VecMap::new(),
            ghost_partitions: Vec::new(),
        }
    }

    /// The number of partitions.
    pub(super) fn num_partitions(&self) -> usize {
        self.partition_topic.len()
    }

    /// The number of partition indices, ghosts included: the size of per-partition arrays.
    pub(super) fn num_indices(&self) -> usize {
        self.partition_topic.len() + self.ghost_partitions.len()
    }

    /// The index of a claimed partition of topic `t`: a real one, or a ghost (registered on first sight).
    pub(super) fn claimed_index(&mut self, t: u32, partition: i32) -> u32 {
        if let Some(p) = self.partition_index(t, partition) {
            return p;
        }
        let next = self.num_indices() as u32;
        let ghost_partitions = &mut self.ghost_partitions;
        *self.ghosts.entry((t, partition)).or_insert_with(|| {
            ghost_partitions.push((t, partition));
            next
        })
    }

    /// Claimed partitions as indices (ghosts registered), dropping those of unknown topics. Runs of one topic
    /// are looked up once.
    pub(super) fn claimed_indices(&mut self, partitions: &[TopicPartition]) -> Vec<u32> {
        let mut last: Option<(&str, Option<u32>)> = None;
        let mut out = Vec::with_capacity(partitions.len());
        for tp in partitions {
            let t = match last {
                Some((name, t)) if name == tp.topic => t,
                _ => {
                    let t = self.topic_index(&tp.topic);
                    last = Some((&tp.topic, t));
                    t
                }
            };
            if let Some(t) = t {
                out.push(self.claimed_index(t, tp.partition));
            }
        }
        out
    }

    /// The number of topics.
    pub(super) fn num_topics(&self) -> usize {
        self.topics.len()
    }

    /// A member's existing topics as it listed them (repeats kept, as Kafka's lists keep them).
    pub(super) fn member_topics(&self, member: u32) -> &[u32] {
        self.topics.of(member as usize)
    }

    /// Whether two members certainly subscribe to the same topic list.
    pub(super) fn same_list(&self, a: u32, b: u32) -> bool {
        self.topics.same_list(a as usize, b as usize)
    }

    /// A topic's index by name.
    pub(super) fn topic_index(&self, topic: &str) -> Option<u32> {
        self.topics.index(topic)
    }

    /// A real partition's index from a topic index and an id, if the id is in range (see
    /// [`claimed_index`](Self::claimed_index) for claims beyond it).
    pub(super) fn partition_index(&self, t: u32, partition: i32) -> Option<u32> {
        let count = self.offsets[t as usize + 1] - self.offsets[t as usize];
        u32::try_from(partition).ok().filter(|&p| p < count).map(|p| self.offsets[t as usize] + p)
    }

    /// Whether an index is a ghost partition.
    pub(super) fn is_ghost(&self, p: u32) -> bool {
        p as usize >= self.partition_topic.len()
    }

    /// The topic index of a partition.
    pub(super) fn topic_of(&self, p: u32) -> u32 {
        match self.partition_topic.get(p as usize) {
            Some(&t) => t,
            None => self.ghost_partitions[p as usize - self.partition_topic.len()].0,
        }
    }

    /// The partition id of a partition.
    pub(super) fn partition_id(&self, p: u32) -> i32 {
        if self.is_ghost(p) {
            return self.ghost_partitions[p as usize - self.partition_topic.len()].1;
        }
        (p - self.offsets[self.topic_of(p) as usize]) as i32
    }

    /// The partition indices of a topic.
    pub(super) fn partitions_of(&self, t: u32) -> std::ops::Range<u32> {
        self.offsets[t as usize]..self.offsets[t as usize + 1]
    }

    /// The partition as a `TopicPartition`.
    pub(super) fn topic_partition(&self, p: u32) -> TopicPartition {
        TopicPartition::new(self.topics.name(self.topic_of(p)), self.partition_id(p))
    }

    /// `TopicPartition.hashCode()` of a partition.
    pub(super) fn hash(&self, p: u32) -> i32 {
        topic_partition_hash(self.topic_hashes[self.topic_of(p) as usize], self.partition_id(p))
    }

    /// Partitions as indices (known ghosts included), dropping unknown ones.
    pub(super) fn indices(&self, partitions: &[TopicPartition]) -> Vec<u32> {
        let mut last: Option<(&str, Option<u32>)> = None;
        let mut out = Vec::with_capacity(partitions.len());
        for tp in partitions {
            let t = match last {
                Some((name, t)) if name == tp.topic => t,
                _ => {
                    let t = self.topic_index(&tp.topic);
                    last = Some((&tp.topic, t));
                    t
                }
            };
            let Some(t) = t else { continue };
            out.extend(
                self.partition_index(t, tp.partition)
                    .or_else(|| self.ghosts.get(&(t, tp.partition)).copied()),
            );
        }
        out
    }
}

/// The members of one assignment, indexed in input order.
#[derive(Debug)]
pub(super) struct Members<'a> {
    /// Member ids, input order.
    pub(super) ids: Vec<&'a MemberId>,
    /// Subscriptions, aligned with `ids`.
    pub(super) subscriptions: Vec<&'a Subscription>,
    /// Each member's rank in member-id order.
    pub(super) rank: Vec<u32>,
    /// The members by rank (inverse of `rank`).
    pub(super) by_rank: Vec<u32>,
    /// The iteration order of Kafka's `HashMap`s keyed by member id (`subscriptions`,
    /// `consumerToOwnedPartitions`): both get the members in this order and have the same size.
    pub(super) java_order: Vec<u32>,
}

impl<'a> Members<'a> {
    /// Indexes the members (duplicate ids: first position, last subscription).
    pub(super) fn new(subscriptions: &'a GroupSubscription) -> Self {
        let members = dedup_members(subscriptions);
        let ids: Vec<&MemberId> = members.iter().map(|(id, _)| *id).collect();
        let mut by_rank: Vec<u32> = (0..ids.len() as u32).collect();
        sort::sort_u32_by(&mut by_rank, |a, b| ids[a as usize].cmp(ids[b as usize]));
        let mut rank = vec![0u32; ids.len()];
        for (r, &m) in by_rank.iter().enumerate() {
            rank[m as usize] = r as u32;
        }
        let hashes: Vec<i32> = ids.iter().map(|id| string_hash(id.as_str())).collect();
        Self {
            java_order: hash_map_order(&hashes),
            subscriptions: members.iter().map(|(_, s)| *s).collect(),
            ids,
            rank,
            by_rank,
        }
    }

    /// The number of members.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Converts per-member partition-index lists into Kafka's result map.
pub(super) fn to_group_assignment(
    layout: &Layout,
    members: &Members,
    lists: &[Vec<u32>],
) -> VecMap<MemberId, Vec<TopicPartition>> {
    VecMap::from_iter(
        members
            .ids
            .iter()
            .zip(lists)
            .map(|(id, list)| ((*id).clone(), list.iter().map(|&p| layout.topic_partition(p)).collect())),
    )
}
