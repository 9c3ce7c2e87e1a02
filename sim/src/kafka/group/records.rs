//! What the coordinator writes to `__consumer_offsets`: offset commits and group metadata, keyed so that replay is
//! last-record-wins per key, with tombstones (a null value) for deletions. Kafka stores them as versioned binary
//! schemas (`OffsetCommitKey/Value`, `GroupMetadataKey/Value`); the simulation writes the same fields as JSON text
//! in the record's key and value, so a reader of the log can see what the coordinator persisted.
//!
//! They are written with serde (the same JSON the traces use) and read back by hand from a `serde_json::Value`:
//! serde's derived readers, above all the one for the internally tagged key, cost ~25 KB of the wasm bundle
//! for four small types whose only input is what [`encode`] wrote.

use crate::kafka::assignor::{Subscription, TopicPartition};
use crate::kafka::log::Record;
use crate::kafka::types::{ClientId, Offset, RecordId};
use serde::Serialize;
use serde_json::Value;
use std::rc::Rc;

/// The producer id stamped on coordinator records (they belong to no producer).
pub const COORDINATOR_PRODUCER: ClientId = ClientId(u32::MAX);

/// A record key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OffsetValue {
    /// The committed position.
    pub offset: Offset,
    /// When it was committed (simulated ms).
    pub commit_ms: u64,
}

/// A member as persisted in `GroupMetadataValue`.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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

/// Decodes a record of `__consumer_offsets`; `None` for anything else (e.g. a user's own record, even one
/// that looks like the coordinator's: only the coordinator writes as [`COORDINATOR_PRODUCER`]).
pub fn decode(record: &Record) -> Option<Decoded> {
    if record.id.producer != COORDINATOR_PRODUCER {
        return None;
    }
    let key: Value = serde_json::from_str(record.key.as_deref()?).ok()?;
    let value = match record.value.as_deref() {
        Some(v) => Some(serde_json::from_str::<Value>(v).ok()?),
        None => None,
    };
    let group = text(&key, "group")?;
    match key.get("k")?.as_str()? {
        "Offset" => {
            let tp = TopicPartition::new(text(&key, "topic")?, int(&key, "partition")?);
            let value = match value {
                Some(v) => Some(OffsetValue { offset: int(&v, "offset")?, commit_ms: int(&v, "commit_ms")? }),
                None => None,
            };
            Some(Decoded::Offset { group, tp, value })
        }
        "Group" => {
            let value = match value {
                Some(v) => Some(group_value(&v)?),
                None => None,
            };
            Some(Decoded::Group { group, value })
        }
        _ => None,
    }
}

fn group_value(v: &Value) -> Option<GroupValue> {
    let members = list(v, "members", stored_member)?;
    Some(GroupValue {
        protocol_type: opt_text(v, "protocol_type")?,
        generation: int(v, "generation")?,
        protocol: opt_text(v, "protocol")?,
        leader: opt_text(v, "leader")?,
        state_since_ms: int(v, "state_since_ms")?,
        members,
    })
}

fn stored_member(v: &Value) -> Option<StoredMember> {
    let topics = list(v, "topics", |t| t.as_str().map(str::to_string))?;
    let assignment = list(v, "assignment", |pair| match pair.as_array()?.as_slice() {
        [topic, partition] => Some((topic.as_str()?.to_string(), i32::try_from(partition.as_i64()?).ok()?)),
        _ => None,
    })?;
    Some(StoredMember {
        member_id: text(v, "member_id")?,
        instance_id: opt_text(v, "instance_id")?,
        client_id: text(v, "client_id")?,
        session_timeout_ms: int(v, "session_timeout_ms")?,
        rebalance_timeout_ms: int(v, "rebalance_timeout_ms")?,
        topics,
        assignment,
    })
}

/// An array field, each element read by `item`: `None` if it is missing or any element is not understood.
fn list<T>(v: &Value, key: &str, item: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    v.get(key)?.as_array()?.iter().map(item).collect()
}

/// A string field.
fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)?.as_str().map(str::to_string)
}

/// A field that is a string or null (or absent, as serde reads a missing `Option`): `None` if it is neither.
fn opt_text(v: &Value, key: &str) -> Option<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

/// An integer field that fits `T`.
fn int<T: TryFrom<i64> + TryFrom<u64>>(v: &Value, key: &str) -> Option<T> {
    let n = v.get(key)?;
    match n.as_i64() {
        Some(i) => T::try_from(i).ok(),
        None => T::try_from(n.as_u64()?).ok(),
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

    #[test]
    fn group_metadata_round_trips_with_every_field() {
        let member = |id: &str, instance: Option<&str>| StoredMember {
            member_id: id.into(),
            instance_id: instance.map(str::to_string),
            client_id: format!("client \"{id}\""),
            session_timeout_ms: 45_000,
            rebalance_timeout_ms: u64::from(u32::MAX) + 7,
            topics: vec!["orders".into(), "payments".into()],
            assignment: vec![("orders".into(), 0), ("payments".into(), i32::MAX)],
        };
        let value = GroupValue {
            protocol_type: Some("consumer".into()),
            generation: -1,
            protocol: None,
            leader: Some("m1".into()),
            state_since_ms: 12_345,
            members: vec![member("m1", None), member("m2", Some("static-2"))],
        };
        let r = group_record("billing", Some(&value), 3);
        assert_eq!(decode(&r), Some(Decoded::Group { group: "billing".into(), value: Some(value) }));
        let empty = empty_group();
        let r = group_record("g", Some(&empty), 4);
        assert_eq!(decode(&r), Some(Decoded::Group { group: "g".into(), value: Some(empty) }));
        assert_eq!(
            decode(&group_record("g", None, 5)),
            Some(Decoded::Group { group: "g".into(), value: None })
        );
    }

    fn empty_group() -> GroupValue {
        GroupValue {
            protocol_type: None,
            generation: 0,
            protocol: None,
            leader: None,
            state_since_ms: 0,
            members: Vec::new(),
        }
    }

    #[test]
    fn records_that_are_not_the_coordinators_decode_to_nothing() {
        let user = |key: Option<&str>, value: Option<&str>| Record {
            key: key.map(Rc::from),
            value: value.map(Rc::from),
            value_bytes: 1,
            id: RecordId { producer: ClientId(1), seq: 0 },
        };
        assert_eq!(decode(&user(None, Some("x"))), None);
        assert_eq!(decode(&user(Some("order-7"), Some("x"))), None);
        assert_eq!(decode(&user(Some(r#"{"k":"Other","group":"g"}"#), None)), None);
        let mut lookalike = offset_record("g", &TopicPartition::new("t", 1), None, 0);
        lookalike.id.producer = ClientId(1);
        assert_eq!(decode(&lookalike), None);
        assert_eq!(
            decode(&user(Some(r#"{"k":"Offset","group":"g","topic":"t","partition":1}"#), Some("{}"))),
            None
        );
    }
}
