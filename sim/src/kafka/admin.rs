//! Admin operations (Kafka's `Admin` client calls) as data: what a scenario's timeline asks for and what the
//! cluster answers, with Kafka's error codes.

use super::types::ErrorCode;
use serde::Serialize;

/// An admin call.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op")]
pub enum AdminOp {
    /// `CreateTopics`. `start_index` fixes the placement's start (else drawn from the seeded RNG).
    CreateTopics {
        name: String,
        partitions: i32,
        replication_factor: i32,
        configs: Vec<(String, i64)>,
        start_index: Option<usize>,
        assignment: Option<Vec<Vec<i32>>>,
    },
    /// `DeleteTopics`.
    DeleteTopics { name: String },
    /// `CreatePartitions`: grow the topic to `total` partitions.
    CreatePartitions { name: String, total: i32 },
    /// `DeleteRecords`: move the log start offset of a partition (sent to its leader).
    DeleteRecords { topic: String, partition: u32, before_offset: i64 },
    /// `DescribeConfigs` of a topic.
    DescribeConfigs { name: String },
    /// `IncrementalAlterConfigs` of a topic: `set` and `delete` operations.
    IncrementalAlterConfigs { name: String, set: Vec<(String, i64)>, delete: Vec<String> },
    /// `DescribeCluster`.
    DescribeCluster,
    /// `ListTopics`.
    ListTopics,
    /// `DescribeTopics`.
    DescribeTopics { names: Vec<String> },
    /// `ElectLeaders` (preferred) for one topic, or every partition when `name` is `None`.
    ElectLeaders { name: Option<String> },
    /// `ListConsumerGroups`: every broker lists the groups it coordinates; the client merges the answers.
    ListConsumerGroups,
    /// `DescribeConsumerGroups`: state, assignor and members with their assignments, from the coordinator.
    DescribeConsumerGroups { group: String },
    /// `ListConsumerGroupOffsets` from the coordinator, then `ListOffsets` (latest) from each partition's leader
    /// to show the lag, as `kafka-consumer-groups.sh --describe` does.
    ListConsumerGroupOffsets { group: String },
    /// `DeleteConsumerGroups`: refused with `NON_EMPTY_GROUP` while the group has members.
    DeleteConsumerGroups { group: String },
    /// `AlterConsumerGroupOffsets` (`kafka-consumer-groups.sh --reset-offsets`): commits new offsets for a
    /// group's partitions; the coordinator accepts it only while the group has no members.
    AlterConsumerGroupOffsets { group: String, topic: String, partitions: Vec<u32>, to: ResetTarget },
}

/// Where `AlterConsumerGroupOffsets` moves a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetTarget {
    /// An explicit offset (`--to-offset`).
    Offset(i64),
    /// The log start offset (`--to-earliest`).
    Earliest,
    /// The high watermark (`--to-latest`).
    Latest,
}

impl AdminOp {
    /// Kafka's name of the call.
    pub fn name(&self) -> &'static str {
        match self {
            AdminOp::CreateTopics { .. } => "CreateTopics",
            AdminOp::DeleteTopics { .. } => "DeleteTopics",
            AdminOp::CreatePartitions { .. } => "CreatePartitions",
            AdminOp::DeleteRecords { .. } => "DeleteRecords",
            AdminOp::DescribeConfigs { .. } => "DescribeConfigs",
            AdminOp::IncrementalAlterConfigs { .. } => "IncrementalAlterConfigs",
            AdminOp::DescribeCluster => "DescribeCluster",
            AdminOp::ListTopics => "ListTopics",
            AdminOp::DescribeTopics { .. } => "DescribeTopics",
            AdminOp::ElectLeaders { .. } => "ElectLeaders",
            AdminOp::ListConsumerGroups => "ListConsumerGroups",
            AdminOp::DescribeConsumerGroups { .. } => "DescribeConsumerGroups",
            AdminOp::ListConsumerGroupOffsets { .. } => "ListConsumerGroupOffsets",
            AdminOp::DeleteConsumerGroups { .. } => "DeleteConsumerGroups",
            AdminOp::AlterConsumerGroupOffsets { .. } => "AlterConsumerGroupOffsets",
        }
    }

    /// The group a group admin call is about.
    pub fn group(&self) -> Option<&str> {
        match self {
            AdminOp::DescribeConsumerGroups { group }
            | AdminOp::ListConsumerGroupOffsets { group }
            | AdminOp::DeleteConsumerGroups { group }
            | AdminOp::AlterConsumerGroupOffsets { group, .. } => Some(group),
            _ => None,
        }
    }

    /// Whether it is a consumer-group call (answered by brokers' group coordinators).
    pub fn is_group_call(&self) -> bool {
        self.group().is_some() || matches!(self, AdminOp::ListConsumerGroups)
    }

    /// Whether the controller answers it (else a broker does: DeleteRecords goes to the partition leader).
    pub fn goes_to_controller(&self) -> bool {
        !matches!(self, AdminOp::DeleteRecords { .. }) && !self.is_group_call()
    }
}

/// The answer to an admin call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdminResult {
    /// Kafka's error code, if it failed.
    pub error: Option<ErrorCode>,
    /// Kafka's error message or a one-line summary of the result.
    pub message: String,
    /// The result's data (topics, configs, brokers) for describe calls.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

impl AdminResult {
    /// A success with a summary.
    pub fn ok(message: impl Into<String>) -> Self {
        Self { error: None, message: message.into(), data: serde_json::Value::Null }
    }

    /// A failure with Kafka's error code and message.
    pub fn err(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { error: Some(code), message: message.into(), data: serde_json::Value::Null }
    }
}
