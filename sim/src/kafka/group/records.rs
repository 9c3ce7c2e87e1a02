//! What the coordinator writes to `__consumer_offsets`: offset commits and group metadata, keyed so that replay is
//! last-record-wins per key, with tombstones (a null value) for deletions. Kafka stores them as versioned binary
//! schemas (`OffsetCommitKey/Value`, `GroupMetadataKey/Value`); the simulation writes the same fields as JSON text
//! in the record's key and value, so a reader of the log can see what the coordinator persisted.

use crate::kafka::assignor::{Subscription, TopicPartition};
use crate::kafka::log::Record;
use crate::kafka::types::{ClientId, Offset, RecordId};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// The producer id stamped on coordinator records (they belong to no producer).
pub const COORDINATOR_PRODUCER: ClientId = ClientId(u32::MAX);

/// A record key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k")]
pub enum RecordKey {
    /// `OffsetCommitKey`.
    Offset { group: String, topic: String, partition: i32 },
    /// `GroupMetadataKey`.
    Group { group: String },
}

impl RecordKey {
    /// The group the record belongs to.
    pub fn group(&self) -> &str {
        match self {
            RecordKey::Offset { group, .. } | RecordKey::Group { group } => group,
        }
    }
}

/// `OffsetCommitValue`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetValue {
    /// The committed position.
    pub offset: Offset,
    /// When it was committed (simulated ms).
    pub commit_ms: u64,
}

/// A member as persisted in `GroupMetadataValue`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredMember {
    /// `member.id`.
    pub member_id: String,
    /// `group.instance.id`.
    pub instance_id: Option<String>,
    /// `client.id`.
    pub client_id: String,
    /// Session timeout.
    pub session_timeout_ms: u64,
    /// Rebalance timeout.
    pub rebalance_timeout_ms: u64,
    /// The subscribed topics under the selected protocol.
    pub topics: Vec<String>,
    /// The assignment.
    pub assignment: Vec<(String, i32)>,
}

/// `GroupMetadataValue`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupValue {
    /// `protocolType` ("consumer"), or none for a simple group.
    pub protocol_type: Option<String>,
    /// The generation.
    pub generation: i32,
    /// The selected assignor.
    pub protocol: Option<String>,
    /// The leader.
    pub leader: Option<String>,
    /// When the state was entered (simulated ms).
    pub state_since_ms: u64,
    /// The members with their assignments.
    pub members: Vec<StoredMember>,
}

impl StoredMember {
    /// The subscription a reloaded member is given (topics only: owned partitions come from the assignment).
    pub fn subscription(&self) -> Subscription {
        Subscription {
            topics: self.topics.clone(),
            owned_partitions: self.assignment_partitions(),
            generation: None,
            user_data: None,
            rack: None,
            group_instance_id: self.instance_id.clone(),
        }
    }

    /// The assignment as topic partitions.
    pub fn assignment_partitions(&self) -> Vec<TopicPartition> {
        self.assignment.iter().map(|(t, p)| TopicPartition::new(t.clone(), *p)).collect()
    }
}

/// Encodes a record for the log (`value = None` is a tombstone).
pub fn encode(key: &RecordKey, value: Option<String>, seq: u64) -> Record {
    let key_text = serde_json::to_string(key).expect("record keys serialise");
    let value_bytes = (key_text.len() + value.as_ref().map_or(0, String::len)) as u32;
    Record {
        key: Some(Rc::from(key_text)),
        value: value.map(Rc::from),
        value_bytes,
        id: RecordId { producer: COORDINATOR_PRODUCER, seq },
    }
}

/// An offset commit record.
pub fn offset_record(group: &str, tp: &TopicPartition, value: Option<&OffsetValue>, seq: u64) -> Record {
    let key =
        RecordKey::Offset { group: group.to_string(), topic: tp.topic.clone(), partition: tp.partition };
    encode(&key, value.map(|v| serde_json::to_string(v).expect("offsets serialise")), seq)
}

/// A group metadata record.
pub fn group_record(group: &str, value: Option<&GroupValue>, seq: u64) -> Record {
    let key = RecordKey::Group { group: group.to_string() };
    encode(&key, value.map(|v| serde_json::to_string(v).expect("group metadata serialises")), seq)
}

/// A decoded record.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// An offset (None: deleted).
    Offset { group: String, tp: TopicPartition, value: Option<OffsetValue> },
    /// Group metadata (None: deleted).
    Group { group: String, value: Option<GroupValue> },
}

/// Decodes a record of `__consumer_offsets`; `None` for anything else (e.g. a user's own record).
pub fn decode(record: &Record) -> Option<Decoded> {
    let key: RecordKey = serde_json::from_str(record.key.as_deref()?).ok()?;
    match key {
        RecordKey::Offset { group, topic, partition } => {
            let value = match record.value.as_deref() {
                Some(v) => Some(serde_json::from_str(v).ok()?),
                None => None,
            };
            Some(Decoded::Offset { group, tp: TopicPartition::new(topic, partition), value })
        }
        RecordKey::Group { group } => {
            let value = match record.value.as_deref() {
                Some(v) => Some(serde_json::from_str(v).ok()?),
                None => None,
            };
            Some(Decoded::Group { group, value })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let tp = TopicPartition::new("orders", 3);
        let v = OffsetValue { offset: 42, commit_ms: 1500 };
        let r = offset_record("g", &tp, Some(&v), 0);
        assert_eq!(decode(&r), Some(Decoded::Offset { group: "g".into(), tp: tp.clone(), value: Some(v) }));
        let tomb = offset_record("g", &tp, None, 1);
        assert_eq!(decode(&tomb), Some(Decoded::Offset { group: "g".into(), tp, value: None }));
    }
}
