//! Kafka's partition assignors, ported exactly: same inputs, same output, including Kafka's tie-breaks.
//!
//! Client side (classic protocol: the group leader computes the assignment inside the consumer):
//! - [`range`]: `RangeAssignor` (`"range"`), per-topic contiguous ranges, rack-aware when racks allow.
//! - [`roundrobin`]: `RoundRobinAssignor` (`"roundrobin"`).
//! - [`sticky`]: `AbstractStickyAssignor` (the shared sticky logic) and `StickyAssignor` (`"sticky"`, eager);
//!   its builders live in `sticky_constrained` (all subscriptions equal) and `sticky_general` (they
//!   differ), with `sticky_rack` (`RackInfo`) and `sticky_movements` (`PartitionMovements`).
//! - [`cooperative_sticky`]: `CooperativeStickyAssignor` (`"cooperative-sticky"`): the sticky result with
//!   partitions that change owner withheld for one rebalance, and the follow-up rounds that converge.
//! - [`user_data`]: the sticky assignors' subscription user-data byte formats and `memberData`.
//!
//! Server side (KIP-848 consumer protocol: the group coordinator computes the assignment):
//! - [`server_range`]: the coordinator's `RangeAssignor`, named `"server-range"` here to tell it from the
//!   client one (Kafka calls both `"range"`).
//!
//! [`case_file`] reads the conformance case format (`tests/conformance/assignors.json`) and runs a case;
//! `kafkasim assign` and the conformance test both use it. [`java_compat`] holds the Java semantics that leak
//! into results (UTF-16 string order, `HashMap` iteration order).
//!
//! Determinism: nothing here iterates a hash map. Where Kafka's result depends on the iteration order of a Java
//! `HashMap` (which over-owning sticky members keep an extra partition, which partition a repeated move is
//! rewritten to, the order of a member's list), we replay Java's table layout with [`java_compat`], so the
//! result is Kafka's, and it is a pure function of the input order of the members.

pub mod case_file;
pub mod cooperative_sticky;
pub mod java_compat;
pub mod range;
pub mod roundrobin;
pub mod server_range;
pub mod sticky;
mod sticky_constrained;
mod sticky_general;
mod sticky_layout;
mod sticky_movements;
mod sticky_rack;
mod subscribed;
pub mod user_data;

use crate::engine::vec_map::VecMap;
use java_compat::java_cmp;
use std::cmp::Ordering;

pub use cooperative_sticky::{Convergence, CooperativeStickyAssignor};
pub use range::RangeAssignor;
pub use roundrobin::RoundRobinAssignor;
pub use server_range::ServerRangeAssignor;
pub use sticky::StickyAssignor;
pub use user_data::MemberData;

/// Kafka's `DEFAULT_GENERATION` (`AbstractStickyAssignor.java` L56): "no generation known".
pub const DEFAULT_GENERATION: i32 = -1;

/// A topic partition, `TopicPartition` in Kafka. Ordered as Kafka's `TopicPartitionComparator`
/// (`internals/Utils.java` L49-63): topic (Java `String.compareTo`), then partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicPartition {
    /// The topic name.
    pub topic: String,
    /// The partition id.
    pub partition: i32,
}

impl TopicPartition {
    /// A topic partition from a topic name and a partition id.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self { topic: topic.into(), partition }
    }
}

impl Ord for TopicPartition {
    fn cmp(&self, other: &Self) -> Ordering {
        java_cmp(&self.topic, &other.topic).then(self.partition.cmp(&other.partition))
    }
}

impl PartialOrd for TopicPartition {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for TopicPartition {
    /// Kafka's `TopicPartition.toString()`: `topic-partition`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A group member id (`member.id`), ordered as Java's `String.compareTo`, as Kafka sorts them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberId(pub String);

impl MemberId {
    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for MemberId {
    fn from(s: &str) -> Self {
        MemberId(s.to_string())
    }
}

impl Ord for MemberId {
    fn cmp(&self, other: &Self) -> Ordering {
        java_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for MemberId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one member sends when it joins: Kafka's `ConsumerPartitionAssignor.Subscription`
/// (`ConsumerPartitionAssignor.java` L105-170) plus the `group.instance.id` the leader learns from the
/// JoinGroup response (`ConsumerCoordinator.java` L627-629).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// The topics the member subscribes to, as it listed them.
    pub topics: Vec<String>,
    /// The assignor's opaque user data (`subscriptionUserData`); see [`user_data`] for the sticky formats.
    pub user_data: Option<Vec<u8>>,
    /// The partitions the member owns now (protocol v1+; eager members report none).
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation of the member's last successful join (protocol v2+). Negative means absent, as in
    /// Kafka's constructor (L118).
    pub generation: Option<i32>,
    /// The member's `client.rack` (protocol v3+).
    pub rack: Option<String>,
    /// The member's `group.instance.id` (static membership).
    pub group_instance_id: Option<String>,
}

impl Subscription {
    /// A subscription to these topics with nothing else set.
    pub fn new<S: Into<String>>(topics: impl IntoIterator<Item = S>) -> Self {
        Self { topics: topics.into_iter().map(Into::into).collect(), ..Self::default() }
    }

    /// The protocol-level generation, `None` when absent or negative (`Subscription.generationId()`).
    pub fn generation_id(&self) -> Option<i32> {
        self.generation.filter(|g| *g >= 0)
    }
}

/// The members' subscriptions in the order the leader received them (the JoinGroup response order). Kafka puts
/// them into a `HashMap` in that order (`ConsumerCoordinator.onLeaderElected`); the sticky assignors' ties
/// follow that map's iteration order, which we replay from this order.
pub type GroupSubscription = [(MemberId, Subscription)];

/// The result: every member, in member id order, with its partitions in the order Kafka's assignor lists them.
pub type GroupAssignment = VecMap<MemberId, Vec<TopicPartition>>;

/// The cluster metadata an assignor sees: `Cluster` in Kafka, reduced to partition counts and replica racks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Partition count per topic. A subscribed topic missing here does not exist (yet).
    pub partitions_per_topic: VecMap<String, i32>,
    /// The racks of each partition's replicas (index = partition id; offline and out-of-sync replicas
    /// included). Topics missing here, and partitions beyond the list, have replicas without racks.
    pub partition_racks: VecMap<String, Vec<Vec<String>>>,
}

impl Cluster {
    /// A cluster whose brokers have no racks.
    pub fn new(partitions_per_topic: VecMap<String, i32>) -> Self {
        Self { partitions_per_topic, partition_racks: VecMap::new() }
    }

    /// The racks of one partition's replicas as listed (empty when unknown).
    pub fn racks_of(&self, topic: &str, partition: i32) -> &[String] {
        self.partition_racks
            .get(topic)
            .and_then(|racks| usize::try_from(partition).ok().and_then(|p| racks.get(p)))
            .map_or(&[], Vec::as_slice)
    }
}

/// Kafka's `ConsumerPartitionAssignor.RebalanceProtocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RebalanceProtocol {
    /// Every member revokes all its partitions before joining.
    Eager,
    /// Members keep their partitions; only those that move are revoked, in a follow-up rebalance.
    Cooperative,
}

/// Why an assignor refused to assign. Client assignors only fail on states Kafka treats as bugs
/// (`IllegalStateException`); the server-side Range assignor refuses subscriptions to unknown topics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// KIP-848 `PartitionAssignorException`: a member subscribes to a topic the coordinator does not know.
    #[error("PartitionAssignorException: Member is subscribed to a non-existent topic ({topic})")]
    NonexistentTopic {
        /// The unknown topic.
        topic: String,
    },
    /// Kafka throws here (`IllegalStateException` or a `NullPointerException` on inconsistent input).
    #[error("{0}")]
    IllegalState(String),
}

/// The assignor names accepted by [`Assignor::by_name`].
pub const NAMES: &[&str] = &["range", "roundrobin", "sticky", "cooperative-sticky", "server-range"];

/// An unknown assignor name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown assignor \"{name}\"; valid assignors: {}", NAMES.join(", "))]
pub struct UnknownAssignor {
    /// The name that was asked for.
    pub name: String,
}

/// One of Kafka's assignors, with the state it keeps between `assign` calls.
#[derive(Debug, Clone)]
pub enum Assignor {
    /// `RangeAssignor` (client).
    Range(RangeAssignor),
    /// `RoundRobinAssignor`.
    RoundRobin(RoundRobinAssignor),
    /// `StickyAssignor` (eager).
    Sticky(StickyAssignor),
    /// `CooperativeStickyAssignor`.
    CooperativeSticky(CooperativeStickyAssignor),
    /// The KIP-848 coordinator's `RangeAssignor`.
    ServerRange(ServerRangeAssignor),
}

impl Assignor {
    /// A fresh assignor by name (one of [`NAMES`]).
    pub fn by_name(name: &str) -> Result<Assignor, UnknownAssignor> {
        Ok(match name {
            "range" => Assignor::Range(RangeAssignor::default()),
            "roundrobin" => Assignor::RoundRobin(RoundRobinAssignor),
            "sticky" => Assignor::Sticky(StickyAssignor::default()),
            "cooperative-sticky" => Assignor::CooperativeSticky(CooperativeStickyAssignor::default()),
            "server-range" => Assignor::ServerRange(ServerRangeAssignor),
            _ => return Err(UnknownAssignor { name: name.to_string() }),
        })
    }

    /// The name [`Assignor::by_name`] takes. These are Kafka's protocol names (`partition.assignment.strategy`
    /// values), except `server-range`, which Kafka calls `range` on the coordinator side.
    pub fn name(&self) -> &'static str {
        match self {
            Assignor::Range(_) => "range",
            Assignor::RoundRobin(_) => "roundrobin",
            Assignor::Sticky(_) => "sticky",
            Assignor::CooperativeSticky(_) => "cooperative-sticky",
            Assignor::ServerRange(_) => "server-range",
        }
    }

    /// `supportedProtocols()`: EAGER only, except the cooperative sticky assignor (`[COOPERATIVE, EAGER]`,
    /// `CooperativeStickyAssignor.java` L66-69). The KIP-848 coordinator has no such setting; its
    /// reconciliation revokes before it reassigns (`CurrentAssignmentBuilder`), so we report COOPERATIVE.
    pub fn supported_protocols(&self) -> &'static [RebalanceProtocol] {
        match self {
            Assignor::CooperativeSticky(_) => &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager],
            Assignor::ServerRange(_) => &[RebalanceProtocol::Cooperative],
            _ => &[RebalanceProtocol::Eager],
        }
    }

    /// Assigns the partitions of `cluster` to the members of `subscriptions`. Every member gets an entry.
    pub fn assign(
        &mut self,
        cluster: &Cluster,
        subscriptions: &GroupSubscription,
    ) -> Result<GroupAssignment, AssignError> {
        match self {
            Assignor::Range(a) => Ok(a.assign(cluster, subscriptions)),
            Assignor::RoundRobin(a) => Ok(a.assign(cluster, subscriptions)),
            Assignor::Sticky(a) => a.assign(cluster, subscriptions),
            Assignor::CooperativeSticky(a) => a.assign(cluster, subscriptions),
            Assignor::ServerRange(a) => a.assign(cluster, subscriptions),
        }
    }

    /// Sets Kafka's test-only `preferRackAwareLogic` (`AbstractPartitionAssignor.java` L48-49): use rack-aware
    /// assignment whenever consumer and replica racks intersect, even if every partition is on every rack.
    /// No effect on the assignors that are not rack-aware.
    pub fn set_prefer_rack_aware_logic(&mut self, prefer: bool) {
        match self {
            Assignor::Range(a) => a.prefer_rack_aware_logic = prefer,
            Assignor::Sticky(a) => a.set_prefer_rack_aware_logic(prefer),
            Assignor::CooperativeSticky(a) => a.set_prefer_rack_aware_logic(prefer),
            Assignor::RoundRobin(_) | Assignor::ServerRange(_) => {}
        }
    }
}

/// Members with duplicate ids keep their first position and their last subscription, as `HashMap.put` does.
pub(crate) fn dedup_members(subscriptions: &GroupSubscription) -> Vec<(&MemberId, &Subscription)> {
    let mut out: Vec<(&MemberId, &Subscription)> = Vec::with_capacity(subscriptions.len());
    let mut seen: VecMap<&MemberId, usize> = VecMap::new();
    for (id, sub) in subscriptions {
        match seen.get(id) {
            Some(&i) => out[i].1 = sub,
            None => {
                seen.insert(id, out.len());
                out.push((id, sub));
            }
        }
    }
    out
}

/// `MemberInfo.compareTo` (`AbstractPartitionAssignor.java` L149-162): members with a `group.instance.id`
/// first, by instance id, then the others by member id. Used by Range, RoundRobin and the server Range.
pub(crate) fn member_info_cmp(a: (&MemberId, Option<&str>), b: (&MemberId, Option<&str>)) -> Ordering {
    match (a.1, b.1) {
        (Some(x), Some(y)) => java_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.0.cmp(b.0),
    }
}

/// `AbstractPartitionAssignor.useRackAwareAssignment` (L124-132), over sorted, de-duplicated rack lists: off
/// when no consumer has a rack or consumer and replica racks are disjoint; on if the test-only
/// `preferRackAwareLogic` is set; otherwise on only if some partition's replica racks are not all the racks
/// that hold replicas (some partition is missing from some rack).
pub(crate) fn use_rack_aware_assignment<'r, T: Ord + 'r>(
    consumer_racks: &[T],
    all_partition_racks: &[T],
    mut per_partition: impl Iterator<Item = &'r [T]>,
    prefer_rack_aware_logic: bool,
) -> bool {
    let disjoint = !consumer_racks.iter().any(|r| all_partition_racks.binary_search(r).is_ok());
    if consumer_racks.is_empty() || disjoint {
        false
    } else if prefer_rack_aware_logic {
        true
    } else {
        !per_partition.all(|racks| racks == all_partition_racks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_lists_valid_names_on_error() {
        let err = Assignor::by_name("sticki").unwrap_err();
        assert!(err.to_string().contains("range, roundrobin, sticky, cooperative-sticky, server-range"));
        for name in NAMES {
            assert_eq!(Assignor::by_name(name).map(|a| a.name()), Ok(*name));
        }
    }

    #[test]
    fn member_info_order_puts_static_members_first() {
        let (a, b) = (MemberId::from("a"), MemberId::from("b"));
        assert_eq!(member_info_cmp((&a, None), (&b, Some("z"))), Ordering::Greater);
        assert_eq!(member_info_cmp((&a, Some("y")), (&b, Some("x"))), Ordering::Greater);
        assert_eq!(member_info_cmp((&a, None), (&b, None)), Ordering::Less);
    }

    #[test]
    fn negative_generation_is_absent() {
        let sub = Subscription { generation: Some(-1), ..Subscription::default() };
        assert_eq!(sub.generation_id(), None);
    }
}
