//! `AbstractStickyAssignor.PartitionMovements` (L260-397): the record of partitions moved during one general
//! assignment, used to avoid moving partitions of one topic back and forth between two members.
//!
//! When a partition of topic `T` is about to move from `A` to `B` while some partition of `T` already moved from
//! `B` to `A`, Kafka moves that earlier partition back instead (`getTheActualPartitionToBeMoved`): the first one
//! its `HashSet` iterates, which we take from a replayed Java hash table so the choice is Kafka's.
//! `isSticky()` (L384-396) reports whether some topic still has moves both ways between two members (its
//! cycle search only ever concludes on cycles of length two, L354-369).

use super::java_compat::JavaHashTable;
use super::sticky_layout::Layout;
use crate::engine::vec_map::VecMap;

/// A move from `.0` to `.1` (member indices): Kafka's `ConsumerPair`.
type ConsumerPair = (u32, u32);

/// The movement records.
#[derive(Debug, Default)]
pub(super) struct PartitionMovements {
    /// `partitionMovements`: partition → its net move so far.
    moves: VecMap<u32, ConsumerPair>,
    /// `partitionMovementsByTopic`: topic → pair → the partitions that made that net move.
    by_topic: VecMap<u32, VecMap<ConsumerPair, JavaHashTable>>,
}

impl PartitionMovements {
    /// `removeMovementRecordOfPartition` (L264-276).
    fn remove_record(&mut self, layout: &Layout, p: u32) -> Option<ConsumerPair> {
        let pair = self.moves.remove(&p)?;
        let topic = layout.topic_of(p);
        if let Some(pairs) = self.by_topic.get_mut(&topic) {
            if let Some(set) = pairs.get_mut(&pair) {
                set.remove(p);
                if set.is_empty() {
                    pairs.remove(&pair);
                }
            }
            if pairs.is_empty() {
                self.by_topic.remove(&topic);
            }
        }
        Some(pair)
    }

    /// `addPartitionMovementRecord` (L278-290).
    fn add_record(&mut self, layout: &Layout, p: u32, pair: ConsumerPair) {
        self.moves.insert(p, pair);
        let set = self.by_topic.entry(layout.topic_of(p)).or_default().entry(pair).or_default();
        set.insert(p, layout.hash(p));
    }

    /// `movePartition` (L292-306): record `p` moving from `old` to `new`, folding it into an earlier move.
    pub(super) fn move_partition(&mut self, layout: &Layout, p: u32, old: u32, new: u32) {
        match self.remove_record(layout, p) {
            Some((src, _)) => {
                // Moving back to where it came from cancels the record.
                if src != new {
                    self.add_record(layout, p, (src, new));
                }
            }
            None => self.add_record(layout, p, (old, new)),
        }
    }

    /// `getTheActualPartitionToBeMoved` (L308-326).
    pub(super) fn actual_partition_to_move(&self, layout: &Layout, p: u32, old: u32, new: u32) -> u32 {
        let Some(pairs) = self.by_topic.get(&layout.topic_of(p)) else { return p };
        // A partition that already moved counts as moving from where it started.
        let old = self.moves.get(&p).map_or(old, |&(src, _)| src);
        pairs.get(&(new, old)).and_then(JavaHashTable::first).unwrap_or(p)
    }

    /// `isSticky` (L384-396): no topic has moves both ways between the same two members.
    pub(super) fn is_sticky(&self) -> bool {
        // A pair from a member to itself is not a cycle (`isLinked` returns false when src equals dst).
        self.by_topic.values().all(|pairs| pairs.keys().all(|&(a, b)| a == b || !pairs.contains_key(&(b, a))))
    }
}
