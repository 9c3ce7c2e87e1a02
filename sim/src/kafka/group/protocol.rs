//! The group requests a consumer sends to its coordinator and their answers, named as Kafka names them
//! (`FindCoordinator`, `JoinGroup`, `SyncGroup`, `Heartbeat`, `LeaveGroup`, `OffsetCommit`, `OffsetFetch`),
//! plus `ListOffsets`, which goes to a partition's leader. They travel as [`Msg::Group`](super::super::messages::Msg)
//! and [`Msg::GroupResponse`](super::super::messages::Msg).

use crate::kafka::assignor::{Subscription, TopicPartition};
use crate::kafka::types::{BrokerId, ErrorCode, Offset, Tp};
use std::rc::Rc;

/// The `protocolType` every consumer group uses.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// Who is asking: the member fields most group requests carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRef {
    /// `member.id` ("" before the coordinator gave one).
    pub member_id: String,
    /// `group.instance.id` (static membership, KIP-345).
    pub instance_id: Option<String>,
    /// The generation the member believes is current (-1 for none).
    pub generation: i32,
}

/// A group request.
#[derive(Clone, Debug)]
pub enum GroupRequest {
    /// Which broker coordinates `group` (any broker answers).
    FindCoordinator { group: Rc<str> },
    /// Join (or rejoin) the group with the assignors the member supports, in preference order.
    JoinGroup {
        group: Rc<str>,
        member: MemberRef,
        /// The client's `client.id` (the consumer's name in the scenario).
        client_id: Rc<str>,
        session_timeout_ms: u64,
        rebalance_timeout_ms: u64,
        /// (assignor name, subscription) in the member's order of preference.
        protocols: Rc<Vec<(String, Subscription)>>,
    },
    /// The leader sends the assignment; followers send nothing and wait for theirs.
    SyncGroup {
        group: Rc<str>,
        member: MemberRef,
        protocol_name: Option<String>,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    },
    /// "I am alive" (`session.timeout.ms`).
    Heartbeat { group: Rc<str>, member: MemberRef },
    /// Leave the group now instead of waiting for the session to expire.
    LeaveGroup { group: Rc<str>, member: MemberRef },
    /// Commit positions (the next offset to read) for partitions.
    OffsetCommit {
        group: Rc<str>,
        member: MemberRef,
        offsets: Vec<(TopicPartition, Offset)>,
        /// The request header's `client.id` (the consumer's name, or the admin client's).
        client_id: Rc<str>,
    },
    /// Read committed offsets (`require_stable`, KIP-447).
    OffsetFetch { group: Rc<str>, partitions: Vec<TopicPartition> },
    /// The earliest (log start) or latest (high watermark) offset of partitions, from their leader.
    ListOffsets { partitions: Vec<(Tp, OffsetSpec)> },
}

/// Which offset `ListOffsets` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset (`EARLIEST_TIMESTAMP`, -2).
    Earliest,
    /// The high watermark (`LATEST_TIMESTAMP`, -1), for read_uncommitted.
    Latest,
}

impl GroupRequest {
    /// Kafka's name of the request.
    pub fn kind(&self) -> &'static str {
        match self {
            GroupRequest::FindCoordinator { .. } => "FindCoordinator",
            GroupRequest::JoinGroup { .. } => "JoinGroup",
            GroupRequest::SyncGroup { .. } => "SyncGroup",
            GroupRequest::Heartbeat { .. } => "Heartbeat",
            GroupRequest::LeaveGroup { .. } => "LeaveGroup",
            GroupRequest::OffsetCommit { .. } => "OffsetCommit",
            GroupRequest::OffsetFetch { .. } => "OffsetFetch",
            GroupRequest::ListOffsets { .. } => "ListOffsets",
        }
    }

    /// The group the request is about (`None` for ListOffsets).
    pub fn group(&self) -> Option<&Rc<str>> {
        match self {
            GroupRequest::FindCoordinator { group }
            | GroupRequest::JoinGroup { group, .. }
            | GroupRequest::SyncGroup { group, .. }
            | GroupRequest::Heartbeat { group, .. }
            | GroupRequest::LeaveGroup { group, .. }
            | GroupRequest::OffsetCommit { group, .. }
            | GroupRequest::OffsetFetch { group, .. } => Some(group),
            GroupRequest::ListOffsets { .. } => None,
        }
    }
}

/// A member as the leader sees it in the JoinGroup response.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinedMember {
    /// Its member id.
    pub member_id: String,
    /// Its `group.instance.id`.
    pub instance_id: Option<String>,
    /// Its subscription for the selected protocol.
    pub subscription: Subscription,
}

/// The JoinGroup answer of a successful join.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinResult {
    /// The new generation.
    pub generation: i32,
    /// The selected assignor.
    pub protocol_name: String,
    /// The leader's member id.
    pub leader: String,
    /// This member's id.
    pub member_id: String,
    /// Every member with its subscription: only in the leader's answer.
    pub members: Vec<JoinedMember>,
    /// KIP-814: a returning static leader keeps the current assignment and must not compute one.
    pub skip_assignment: bool,
}

/// A group answer.
#[derive(Clone, Debug, PartialEq)]
pub enum GroupResponse {
    /// The coordinator, or why none.
    FindCoordinator { result: Result<BrokerId, ErrorCode> },
    /// The join's result. `MEMBER_ID_REQUIRED` carries the id to rejoin with in `member_id`.
    JoinGroup { result: Result<Box<JoinResult>, ErrorCode>, member_id: String },
    /// This member's assignment.
    SyncGroup { result: Result<Vec<TopicPartition>, ErrorCode> },
    /// The heartbeat's error (`None` = fine).
    Heartbeat { error: Option<ErrorCode> },
    /// The leave's error.
    LeaveGroup { error: Option<ErrorCode> },
    /// Per-partition result of a commit (or one error for all).
    OffsetCommit { result: Result<Vec<(TopicPartition, Offset)>, ErrorCode> },
    /// Committed offsets (-1: none).
    OffsetFetch { result: Result<Vec<(TopicPartition, Offset)>, ErrorCode> },
    /// Per-partition offsets.
    ListOffsets { partitions: Vec<(Tp, Result<Offset, ErrorCode>)> },
}

impl GroupResponse {
    /// Kafka's name of the response.
    pub fn kind(&self) -> &'static str {
        match self {
            GroupResponse::FindCoordinator { .. } => "FindCoordinatorResponse",
            GroupResponse::JoinGroup { .. } => "JoinGroupResponse",
            GroupResponse::SyncGroup { .. } => "SyncGroupResponse",
            GroupResponse::Heartbeat { .. } => "HeartbeatResponse",
            GroupResponse::LeaveGroup { .. } => "LeaveGroupResponse",
            GroupResponse::OffsetCommit { .. } => "OffsetCommitResponse",
            GroupResponse::OffsetFetch { .. } => "OffsetFetchResponse",
            GroupResponse::ListOffsets { .. } => "ListOffsetsResponse",
        }
    }
}
