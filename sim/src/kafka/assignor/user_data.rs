//! The sticky assignors' subscription user data and `memberData`, byte for byte as Kafka writes and reads them.
//!
//! Kafka protocol primitives, big-endian: `STRING` = int16 length + UTF-8, `ARRAY` = int32 count + elements,
//! `INT32` = 4 bytes.
//!
//! - `StickyAssignor` (`StickyAssignor.java` L180-194, write L230-245, read L247-274):
//!   `V1 = ARRAY(previous_assignment: {topic: STRING, partitions: ARRAY(INT32)}), generation: INT32`;
//!   `V0` = the same without `generation`. A member writes V1 with its last assignment and generation, nothing
//!   before its first assignment. The leader tries V1, then V0 (generation absent), and if both fail takes no
//!   partitions and generation -1. Partitions are grouped by topic in a Java `HashMap`, so topics come in that
//!   map's order (replayed here).
//! - `CooperativeStickyAssignor` (L54-57, L76-85): `V0 = generation: INT32` only; ownership travels in
//!   `Subscription.ownedPartitions`.

use super::java_compat::{string_hash, JavaHashTable};
use super::{Subscription, TopicPartition, DEFAULT_GENERATION};
use crate::engine::vec_map::VecMap;
use std::borrow::Cow;

/// What a sticky assignor reads from a member: Kafka's `AbstractStickyAssignor.MemberData` (L73-88).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberData {
    /// The partitions the member says it owned.
    pub partitions: Vec<TopicPartition>,
    /// The generation those partitions belong to, if known.
    pub generation: Option<i32>,
}

/// Sticky user data as read: the topic groups in their order, and the generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StickyUserData<'a> {
    /// `previous_assignment`: each topic with its partition ids.
    pub(crate) groups: Vec<(Cow<'a, str>, Vec<i32>)>,
    /// The generation, when known.
    pub(crate) generation: Option<i32>,
}

/// `StickyAssignor.memberData` (L218-227), as topic groups: no or empty user data gives no partitions and no
/// generation; otherwise the V1/V0/nothing fallback of [`decode_sticky`].
pub(crate) fn read_sticky_member_data(subscription: &Subscription) -> StickyUserData<'_> {
    match subscription.user_data.as_deref() {
        None | Some([]) => StickyUserData { groups: Vec::new(), generation: None },
        Some(bytes) => read_sticky(bytes),
    }
}

/// `StickyAssignor.memberData` (L218-227): always from user data; `ownedPartitions` is ignored (eager members
/// report none). No or empty user data: no partitions, generation absent.
pub fn sticky_member_data(subscription: &Subscription) -> MemberData {
    flatten(read_sticky_member_data(subscription))
}

/// The generation `CooperativeStickyAssignor.memberData` (L87-107) reports: the protocol generation (v2+), else
/// the one in user data (absent without user data, -1 if it cannot be read).
pub(crate) fn cooperative_generation(subscription: &Subscription) -> Option<i32> {
    subscription.generation_id().or_else(|| {
        subscription
            .user_data
            .as_deref()
            .map(|bytes| Reader::new(bytes).int32().unwrap_or(DEFAULT_GENERATION))
    })
}

/// `CooperativeStickyAssignor.memberData` (L87-107): the owned partitions from the subscription, and the
/// generation of `cooperative_generation`.
pub fn cooperative_member_data(subscription: &Subscription) -> MemberData {
    MemberData {
        partitions: subscription.owned_partitions.clone(),
        generation: cooperative_generation(subscription),
    }
}

/// `StickyAssignor.serializeTopicPartitionAssignment` (L230-245): user data V1.
pub fn encode_sticky_v1(partitions: &[TopicPartition], generation: i32) -> Vec<u8> {
    let mut out = encode_sticky_v0(partitions);
    out.extend_from_slice(&generation.to_be_bytes());
    out
}

/// User data V0 (no generation), as written by consumers before Kafka 2.3.
pub fn encode_sticky_v0(partitions: &[TopicPartition]) -> Vec<u8> {
    let groups = group_partitions_by_topic(partitions);
    let mut out = Vec::new();
    out.extend_from_slice(&(groups.len() as i32).to_be_bytes());
    for (topic, ids) in groups {
        let bytes = topic.as_bytes();
        out.extend_from_slice(&(bytes.len() as i16).to_be_bytes());
        out.extend_from_slice(bytes);
        out.extend_from_slice(&(ids.len() as i32).to_be_bytes());
        for id in ids {
            out.extend_from_slice(&id.to_be_bytes());
        }
    }
    out
}

/// `CooperativeStickyAssignor.subscriptionUserData` (L76-85): user data V0, the generation.
pub fn encode_cooperative(generation: i32) -> Vec<u8> {
    generation.to_be_bytes().to_vec()
}

/// `CollectionUtils.groupPartitionsByTopic`: partition ids per topic, topics in the iteration order of the
/// `HashMap` it fills with `computeIfAbsent`, one call per partition (which places new keys in front of their
/// bucket and grows the table lazily, see [`JavaHashTable::compute_if_absent`]).
fn group_partitions_by_topic(partitions: &[TopicPartition]) -> Vec<(&str, Vec<i32>)> {
    let mut groups: Vec<(&str, Vec<i32>)> = Vec::new();
    let mut index: VecMap<&str, usize> = VecMap::new();
    let mut table = JavaHashTable::new();
    for tp in partitions {
        let i = match index.get(tp.topic.as_str()) {
            Some(&i) => i,
            None => {
                index.insert(&tp.topic, groups.len());
                groups.push((&tp.topic, Vec::new()));
                groups.len() - 1
            }
        };
        table.compute_if_absent(i as u32, string_hash(&tp.topic));
        groups[i].1.push(tp.partition);
    }
    let mut slots: Vec<Option<(&str, Vec<i32>)>> = groups.into_iter().map(Some).collect();
    table.iteration_order().into_iter().filter_map(|i| slots[i as usize].take()).collect()
}

/// `StickyAssignor.deserializeTopicPartitionAssignment` (L247-274): V1, else V0, else nothing at generation -1.
pub fn decode_sticky(bytes: &[u8]) -> MemberData {
    flatten(read_sticky(bytes))
}

/// [`decode_sticky`] as topic groups.
fn read_sticky(bytes: &[u8]) -> StickyUserData<'_> {
    let mut v1 = Reader::new(bytes);
    if let Some(groups) = v1.assignment() {
        if let Some(generation) = v1.int32() {
            return StickyUserData { groups, generation: Some(generation) };
        }
    }
    match Reader::new(bytes).assignment() {
        Some(groups) => StickyUserData { groups, generation: None },
        None => StickyUserData { groups: Vec::new(), generation: Some(DEFAULT_GENERATION) },
    }
}

/// Topic groups as a flat partition list, in order.
fn flatten(data: StickyUserData) -> MemberData {
    let partitions = data
        .groups
        .iter()
        .flat_map(|(topic, ids)| ids.iter().map(move |&p| TopicPartition::new(topic.as_ref(), p)))
        .collect();
    MemberData { partitions, generation: data.generation }
}

/// A cursor over user data that fails, as Kafka's `Schema.read` does, on a short buffer or a negative size.
/// Trailing bytes are ignored, as in Kafka.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }

    fn int32(&mut self) -> Option<i32> {
        self.take(4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn int16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }

    /// `ArrayOf.read`: a negative count or one larger than the bytes left is an error (`SchemaException`).
    fn array_len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.int32()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    /// `STRING`: malformed UTF-8 becomes U+FFFD, as Java's decoder does.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let n = usize::try_from(self.int16()?).ok()?;
        self.take(n).map(String::from_utf8_lossy)
    }

    /// `previous_assignment`: the topic arrays, in order.
    fn assignment(&mut self) -> Option<Vec<(Cow<'a, str>, Vec<i32>)>> {
        let topics = self.array_len()?;
        let mut groups = Vec::with_capacity(topics);
        for _ in 0..topics {
            let topic = self.string()?;
            let count = self.array_len()?;
            let mut ids = Vec::with_capacity(count);
            for _ in 0..count {
                ids.push(self.int32()?);
            }
            groups.push((topic, ids));
        }
        Some(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    #[test]
    fn sticky_v1_bytes_match_kafka() {
        // Reference example, verified against Kafka's StickyAssignor: [t-0, t-1, u-2], generation 5.
        let bytes = encode_sticky_v1(&[tp("t", 0), tp("t", 1), tp("u", 2)], 5);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "00000002000174000000020000000000000001000175000000010000000200000005");
        let data = decode_sticky(&bytes);
        assert_eq!(data.partitions, vec![tp("t", 0), tp("t", 1), tp("u", 2)]);
        assert_eq!(data.generation, Some(5));
    }

    #[test]
    fn sticky_falls_back_to_v0_then_to_nothing() {
        let v0 = encode_sticky_v0(&[tp("topic", 1)]);
        assert_eq!(decode_sticky(&v0), MemberData { partitions: vec![tp("topic", 1)], generation: None });
        let garbage = [0xff, 0xff, 0xff, 0xfe];
        assert_eq!(decode_sticky(&garbage), MemberData { partitions: vec![], generation: Some(-1) });
        let none = Subscription::default();
        assert_eq!(sticky_member_data(&none), MemberData { partitions: vec![], generation: None });
    }

    #[test]
    fn topics_are_grouped_in_java_order() {
        // Printed by Kafka's StickyAssignor.serializeTopicPartitionAssignment/deserialize: computeIfAbsent puts
        // "zz" in front of "topic1" (same bucket), "topic" is in a later bucket.
        let parts = [tp("topic1", 3), tp("topic1", 4), tp("topic", 2), tp("zz", 0), tp("topic1", 0)];
        let data = decode_sticky(&encode_sticky_v1(&parts, 1));
        let expected = [tp("zz", 0), tp("topic1", 3), tp("topic1", 4), tp("topic1", 0), tp("topic", 2)];
        assert_eq!(data.partitions, expected);
    }

    #[test]
    fn cooperative_prefers_the_protocol_generation() {
        let mut sub = Subscription { owned_partitions: vec![tp("t", 0)], ..Subscription::default() };
        sub.user_data = Some(encode_cooperative(10));
        assert_eq!(cooperative_member_data(&sub).generation, Some(10));
        sub.generation = Some(3);
        assert_eq!(cooperative_member_data(&sub).generation, Some(3));
        sub.generation = None;
        sub.user_data = Some(vec![1]);
        assert_eq!(cooperative_member_data(&sub).generation, Some(-1));
        sub.user_data = None;
        assert_eq!(cooperative_member_data(&sub).generation, None);
    }
}
