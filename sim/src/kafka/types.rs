//! Ids and quantities used everywhere, as newtypes so that a broker id is never mistaken for an offset.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A broker's `node.id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerId(pub i32);

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A record's position in a partition's log.
pub type Offset = i64;

/// A leader epoch: bumped by the controller every time a partition gets a new leader.
pub type LeaderEpoch = i32;

/// A topic's identity inside one run. Assigned by the controller in creation order and never reused, so a
/// re-created topic of the same name is a different topic (as Kafka's topic ids are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TopicId(pub u32);

/// One partition of one topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Tp {
    /// The topic.
    pub topic: TopicId,
    /// The partition index within the topic.
    pub partition: u32,
}

/// A client node (producer, consumer or admin) in the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub u32);

/// Identifies one record a producer sent, so that checkers can follow it from `send()` to the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId {
    /// The producer that sent it.
    pub producer: ClientId,
    /// The producer's running count of records it was asked to send, from 0.
    pub seq: u64,
}

/// Kafka's error codes that the simulation can produce, with Kafka's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ErrorCode {
    /// The request was sent to a broker that is not the leader of the partition (or not a replica).
    NOT_LEADER_OR_FOLLOWER,
    /// acks=all produce rejected before append: ISR smaller than `min.insync.replicas`.
    NOT_ENOUGH_REPLICAS,
    /// acks=all produce appended, but the ISR shrank below `min.insync.replicas` before it was acknowledged.
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    /// The batch is larger than the topic's `max.message.bytes` (or the record than `max.request.size`).
    RECORD_TOO_LARGE,
    /// The broker did not complete the request within its timeout (acks=all waiting for replicas).
    REQUEST_TIMED_OUT,
    /// The client gave up: no response within `request.timeout.ms` / `delivery.timeout.ms`.
    TIMEOUT,
    /// The requester's leader epoch is older than the leader's (KIP-320 fencing).
    FENCED_LEADER_EPOCH,
    /// The requester's leader epoch is newer than what this broker knows.
    UNKNOWN_LEADER_EPOCH,
    /// The topic or partition does not exist.
    UNKNOWN_TOPIC_OR_PARTITION,
    /// Replication factor larger than the number of available brokers, or not positive.
    INVALID_REPLICATION_FACTOR,
    /// A partition count that is not positive, or not larger than the current one.
    INVALID_PARTITIONS,
    /// A topic of that name already exists.
    TOPIC_ALREADY_EXISTS,
    /// An offset outside the log (DeleteRecords beyond the high watermark).
    OFFSET_OUT_OF_RANGE,
    /// A config name or value the broker does not accept.
    INVALID_CONFIG,
    /// An idempotent producer's sequence number skipped ahead.
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    /// The broker that should answer is not reachable or not ready.
    BROKER_NOT_AVAILABLE,
    /// The partition has no leader (unclean election disabled and no ISR member alive).
    LEADER_NOT_AVAILABLE,
    /// The client's connection broke before an answer came (`NetworkException`).
    NETWORK_EXCEPTION,
    /// The group coordinator is not available (its `__consumer_offsets` partition has no leader, or a write failed).
    COORDINATOR_NOT_AVAILABLE,
    /// This broker is not the coordinator of the group.
    NOT_COORDINATOR,
    /// The coordinator is still loading the group's state from `__consumer_offsets`.
    COORDINATOR_LOAD_IN_PROGRESS,
    /// The request's generation is not the group's current one.
    ILLEGAL_GENERATION,
    /// The member id is not (or no longer) a member of the group.
    UNKNOWN_MEMBER_ID,
    /// The group is rebalancing: rejoin.
    REBALANCE_IN_PROGRESS,
    /// A new dynamic member must rejoin with the member id the coordinator gave it (KIP-394).
    MEMBER_ID_REQUIRED,
    /// Another process took over this `group.instance.id` (KIP-345).
    FENCED_INSTANCE_ID,
    /// The member supports none of the assignors every other member supports.
    INCONSISTENT_GROUP_PROTOCOL,
    /// `session.timeout.ms` outside `group.min/max.session.timeout.ms`.
    INVALID_SESSION_TIMEOUT,
    /// The group has `group.max.size` members.
    GROUP_MAX_SIZE_REACHED,
    /// The group still has members (DeleteGroups, offset reset).
    NON_EMPTY_GROUP,
    /// No such group.
    GROUP_ID_NOT_FOUND,
}

impl ErrorCode {
    /// Whether Kafka's producer retries this error (a `RetriableException`).
    pub fn is_retriable(self) -> bool {
        use ErrorCode::*;
        matches!(
            self,
            NOT_LEADER_OR_FOLLOWER
                | NOT_ENOUGH_REPLICAS
                | NOT_ENOUGH_REPLICAS_AFTER_APPEND
                | REQUEST_TIMED_OUT
                | FENCED_LEADER_EPOCH
                | UNKNOWN_LEADER_EPOCH
                | UNKNOWN_TOPIC_OR_PARTITION
                | BROKER_NOT_AVAILABLE
                | LEADER_NOT_AVAILABLE
                | NETWORK_EXCEPTION
        )
    }

    /// Kafka's name, e.g. `NOT_ENOUGH_REPLICAS`.
    pub fn name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            NOT_LEADER_OR_FOLLOWER => "NOT_LEADER_OR_FOLLOWER",
            NOT_ENOUGH_REPLICAS => "NOT_ENOUGH_REPLICAS",
            NOT_ENOUGH_REPLICAS_AFTER_APPEND => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            RECORD_TOO_LARGE => "RECORD_TOO_LARGE",
            REQUEST_TIMED_OUT => "REQUEST_TIMED_OUT",
            TIMEOUT => "TIMEOUT",
            FENCED_LEADER_EPOCH => "FENCED_LEADER_EPOCH",
            UNKNOWN_LEADER_EPOCH => "UNKNOWN_LEADER_EPOCH",
            UNKNOWN_TOPIC_OR_PARTITION => "UNKNOWN_TOPIC_OR_PARTITION",
            INVALID_REPLICATION_FACTOR => "INVALID_REPLICATION_FACTOR",
            INVALID_PARTITIONS => "INVALID_PARTITIONS",
            TOPIC_ALREADY_EXISTS => "TOPIC_ALREADY_EXISTS",
            OFFSET_OUT_OF_RANGE => "OFFSET_OUT_OF_RANGE",
            INVALID_CONFIG => "INVALID_CONFIG",
            OUT_OF_ORDER_SEQUENCE_NUMBER => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            BROKER_NOT_AVAILABLE => "BROKER_NOT_AVAILABLE",
            LEADER_NOT_AVAILABLE => "LEADER_NOT_AVAILABLE",
            NETWORK_EXCEPTION => "NETWORK_EXCEPTION",
            COORDINATOR_NOT_AVAILABLE => "COORDINATOR_NOT_AVAILABLE",
            NOT_COORDINATOR => "NOT_COORDINATOR",
            COORDINATOR_LOAD_IN_PROGRESS => "COORDINATOR_LOAD_IN_PROGRESS",
            ILLEGAL_GENERATION => "ILLEGAL_GENERATION",
            UNKNOWN_MEMBER_ID => "UNKNOWN_MEMBER_ID",
            REBALANCE_IN_PROGRESS => "REBALANCE_IN_PROGRESS",
            MEMBER_ID_REQUIRED => "MEMBER_ID_REQUIRED",
            FENCED_INSTANCE_ID => "FENCED_INSTANCE_ID",
            INCONSISTENT_GROUP_PROTOCOL => "INCONSISTENT_GROUP_PROTOCOL",
            INVALID_SESSION_TIMEOUT => "INVALID_SESSION_TIMEOUT",
            GROUP_MAX_SIZE_REACHED => "GROUP_MAX_SIZE_REACHED",
            NON_EMPTY_GROUP => "NON_EMPTY_GROUP",
            GROUP_ID_NOT_FOUND => "GROUP_ID_NOT_FOUND",
        }
    }

    /// Every code, for parsing scenario expectations.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::NOT_LEADER_OR_FOLLOWER,
        ErrorCode::NOT_ENOUGH_REPLICAS,
        ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        ErrorCode::RECORD_TOO_LARGE,
        ErrorCode::REQUEST_TIMED_OUT,
        ErrorCode::TIMEOUT,
        ErrorCode::FENCED_LEADER_EPOCH,
        ErrorCode::UNKNOWN_LEADER_EPOCH,
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode::INVALID_REPLICATION_FACTOR,
        ErrorCode::INVALID_PARTITIONS,
        ErrorCode::TOPIC_ALREADY_EXISTS,
        ErrorCode::OFFSET_OUT_OF_RANGE,
        ErrorCode::INVALID_CONFIG,
        ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
        ErrorCode::BROKER_NOT_AVAILABLE,
        ErrorCode::LEADER_NOT_AVAILABLE,
        ErrorCode::NETWORK_EXCEPTION,
        ErrorCode::COORDINATOR_NOT_AVAILABLE,
        ErrorCode::NOT_COORDINATOR,
        ErrorCode::COORDINATOR_LOAD_IN_PROGRESS,
        ErrorCode::ILLEGAL_GENERATION,
        ErrorCode::UNKNOWN_MEMBER_ID,
        ErrorCode::REBALANCE_IN_PROGRESS,
        ErrorCode::MEMBER_ID_REQUIRED,
        ErrorCode::FENCED_INSTANCE_ID,
        ErrorCode::INCONSISTENT_GROUP_PROTOCOL,
        ErrorCode::INVALID_SESSION_TIMEOUT,
        ErrorCode::GROUP_MAX_SIZE_REACHED,
        ErrorCode::NON_EMPTY_GROUP,
        ErrorCode::GROUP_ID_NOT_FOUND,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
