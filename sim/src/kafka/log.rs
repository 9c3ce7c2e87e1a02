//! A partition replica's log: record batches stamped with the leader epoch they were written in, the leader-epoch
//! cache, the log start offset, the log end offset (LEO) and the high watermark (HW).
//!
//! Batches are shared (`Rc`) between the leader and the followers that copied them, the way the same bytes travel
//! from one broker's page cache to another's: a follower's log holds the leader's batch, not a re-encoding.

use super::types::{ClientId, LeaderEpoch, Offset, RecordId};
use crate::engine::time::SimTime;
use serde::Serialize;
use std::rc::Rc;

/// One record inside a batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    /// The record's key, as text (scenarios name keys) — `None` for a null key.
    pub key: Option<Rc<str>>,
    /// A label for the value so a reader can follow it ("m1"); the value bytes themselves are not simulated.
    pub value: Option<Rc<str>>,
    /// The value's size in bytes.
    pub value_bytes: u32,
    /// The producer's identity of this record, for the durability checkers.
    pub id: RecordId,
}

/// A record batch as it sits in the log (Kafka's `RecordBatch`): written by one leader in one epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Batch {
    /// Offset of the first record.
    pub base_offset: Offset,
    /// The leader epoch of the leader that appended it (`partitionLeaderEpoch`).
    pub epoch: LeaderEpoch,
    /// The producer's idempotence identity, if idempotent: producer id, producer epoch, first sequence number.
    pub producer: Option<(ClientId, i16, i64)>,
    /// When the leader appended it.
    pub append_time: SimTime,
    /// Size on the wire and on disk (after compression), which the size limits apply to.
    pub size_bytes: u32,
    /// The records, in offset order.
    pub records: Vec<Record>,
}

impl Batch {
    /// Offset of the last record.
    pub fn last_offset(&self) -> Offset {
        self.base_offset + self.records.len() as Offset - 1
    }

    /// Offset just past the batch.
    pub fn next_offset(&self) -> Offset {
        self.base_offset + self.records.len() as Offset
    }
}

/// One entry of the leader-epoch cache (`LeaderEpochFileCache`): the first offset written in an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EpochEntry {
    /// The leader epoch.
    pub epoch: LeaderEpoch,
    /// The first offset of that epoch.
    pub start_offset: Offset,
}

/// The answer to `OffsetsForLeaderEpoch` / a fetch's diverging-epoch check: an epoch and where it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EpochEndOffset {
    /// The largest epoch ≤ the requested one that this log knows (or the requested one itself).
    pub epoch: LeaderEpoch,
    /// The offset where that epoch ends (exclusive): the start of the next epoch, or the LEO.
    pub end_offset: Offset,
}

/// A replica's log.
#[derive(Clone, Debug, Default)]
pub struct Log {
    batches: Vec<Rc<Batch>>,
    epochs: Vec<EpochEntry>,
    log_start_offset: Offset,
    high_watermark: Offset,
    /// LEO, kept so that it does not depend on whether the log has batches (after DeleteRecords).
    log_end_offset: Offset,
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The log end offset: the offset the next record will get.
    pub fn log_end_offset(&self) -> Offset {
        self.log_end_offset
    }

    /// The high watermark: records below it are committed and visible to consumers.
    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// The first offset still in the log (moved by DeleteRecords).
    pub fn log_start_offset(&self) -> Offset {
        self.log_start_offset
    }

    /// The batches, oldest first.
    pub fn batches(&self) -> &[Rc<Batch>] {
        &self.batches
    }

    /// The leader-epoch cache, oldest first.
    pub fn epoch_cache(&self) -> &[EpochEntry] {
        &self.epochs
    }

    /// The latest epoch in the cache, if any: what a follower sends as `lastFetchedEpoch`.
    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        self.epochs.last().map(|e| e.epoch)
    }

    /// Number of records between the log start and the LEO.
    pub fn record_count(&self) -> usize {
        self.batches.iter().map(|b| b.records.len()).sum()
    }

    /// Records a new leader epoch starting at the current LEO. Kafka does this on becoming leader, before any
    /// write, "so followers can truncate to the right offset" (`Partition.scala` makeLeader).
    pub fn assign_epoch_start(&mut self, epoch: LeaderEpoch) {
        let leo = self.log_end_offset;
        if let Some(last) = self.epochs.last_mut() {
            assert!(epoch >= last.epoch, "leader epochs only grow: {} after {}", epoch, last.epoch);
            if last.epoch == epoch {
                return;
            }
            if last.start_offset == leo {
                // An epoch with no records is superseded by the newer one at the same offset.
                *last = EpochEntry { epoch, start_offset: leo };
                return;
            }
        }
        self.epochs.push(EpochEntry { epoch, start_offset: leo });
    }

    /// Appends a batch at the LEO (as leader or follower). The batch's base offset must be the LEO.
    pub fn append(&mut self, batch: Rc<Batch>) {
        assert_eq!(batch.base_offset, self.log_end_offset, "append must be at the log end offset");
        if self.latest_epoch().is_none_or(|e| batch.epoch > e) {
            self.epochs.push(EpochEntry { epoch: batch.epoch, start_offset: batch.base_offset });
        }
        self.log_end_offset = batch.next_offset();
        self.batches.push(batch);
    }

    /// Sets the high watermark. The caller decides the rule (leader: only forward; follower: min of the leader's
    /// HW and its own LEO); the log only keeps it within `[log_start, LEO]`.
    pub fn set_high_watermark(&mut self, hw: Offset) {
        self.high_watermark = hw.clamp(self.log_start_offset, self.log_end_offset);
    }

    /// Removes every record at or after `offset` and the epoch entries that start there or later
    /// (`UnifiedLog.truncateTo` + `LeaderEpochFileCache.truncateFromEnd`). Truncation happens at batch
    /// boundaries on the leader; a follower may be asked to cut inside one of its own batches, and then keeps the
    /// records below `offset` of that batch.
    pub fn truncate_to(&mut self, offset: Offset) {
        if offset >= self.log_end_offset {
            return;
        }
        let offset = offset.max(self.log_start_offset);
        while let Some(last) = self.batches.last() {
            if last.base_offset >= offset {
                self.batches.pop();
            } else if last.next_offset() > offset {
                let mut cut = (**last).clone();
                cut.records.truncate((offset - cut.base_offset) as usize);
                *self.batches.last_mut().expect("checked") = Rc::new(cut);
                break;
            } else {
                break;
            }
        }
        self.epochs.retain(|e| e.start_offset < offset);
        self.log_end_offset = offset;
        if self.high_watermark > offset {
            self.high_watermark = offset;
        }
    }

    /// Moves the log start offset forward (DeleteRecords), dropping whole batches below it.
    pub fn delete_records_before(&mut self, offset: Offset) {
        if offset <= self.log_start_offset {
            return;
        }
        self.log_start_offset = offset.min(self.log_end_offset);
        self.batches.retain(|b| b.next_offset() > offset);
        if self.high_watermark < self.log_start_offset {
            self.high_watermark = self.log_start_offset;
        }
    }

    /// Kafka's `LeaderEpochFileCache.endOffsetFor(requestedEpoch, logEndOffset)`:
    /// the latest epoch → (it, LEO); an epoch older than the first known → (requested, start of the first);
    /// otherwise (largest known epoch ≤ requested, start offset of the next larger epoch).
    /// `None` when the cache is empty (no epoch information: the follower then falls back to its HW).
    pub fn end_offset_for(&self, requested: LeaderEpoch) -> Option<EpochEndOffset> {
        let first = self.epochs.first()?;
        let last = self.epochs.last().expect("non-empty");
        if requested == last.epoch {
            return Some(EpochEndOffset { epoch: requested, end_offset: self.log_end_offset });
        }
        if requested < first.epoch {
            return Some(EpochEndOffset { epoch: requested, end_offset: first.start_offset });
        }
        // The first entry with a larger epoch marks where the answer's epoch ends.
        let idx = self.epochs.partition_point(|e| e.epoch <= requested);
        let floor = self.epochs[idx - 1];
        let end_offset = self.epochs.get(idx).map_or(self.log_end_offset, |next| next.start_offset);
        Some(EpochEndOffset { epoch: floor.epoch, end_offset })
    }

    /// The first offset written in `epoch` if the cache knows it (the ISR-join rule of KAFKA-7128 needs the
    /// start of the leader's current epoch).
    pub fn epoch_start_offset(&self, epoch: LeaderEpoch) -> Option<Offset> {
        self.epochs.iter().find(|e| e.epoch == epoch).map(|e| e.start_offset)
    }

    /// The batches that hold offsets from `from` on, up to `max_bytes` — but always at least the first batch, so
    /// that a fetch makes progress even when one batch is larger than the limit (KIP-74).
    /// `upto` bounds what may be read (the HW for consumers, the LEO for followers).
    pub fn read(&self, from: Offset, upto: Offset, max_bytes: u32) -> Vec<Rc<Batch>> {
        let mut out = Vec::new();
        self.read_into(from, upto, max_bytes, &mut out);
        out
    }

    /// [`Log::read`] into `out`, which is cleared first: a leader answering fetch after fetch reuses its vectors.
    pub fn read_into(&self, from: Offset, upto: Offset, max_bytes: u32, out: &mut Vec<Rc<Batch>>) {
        out.clear();
        // Most fetches of a busy partition ask for what does not exist yet: answer those without a search.
        if from >= upto.min(self.log_end_offset) {
            return;
        }
        let start = self.first_batch_after(from);
        let mut bytes = 0u32;
        for b in &self.batches[start..] {
            if b.base_offset >= upto {
                break;
            }
            if !out.is_empty() && bytes.saturating_add(b.size_bytes) > max_bytes {
                break;
            }
            bytes = bytes.saturating_add(b.size_bytes);
            out.push(Rc::clone(b));
        }
    }

    /// The index of the first batch that ends after `from`. Fetches read near the end of the log, so walk back
    /// a few batches from the end before falling back to a binary search.
    fn first_batch_after(&self, from: Offset) -> usize {
        let mut i = self.batches.len();
        for _ in 0..16 {
            if i == 0 || self.batches[i - 1].next_offset() <= from {
                return i;
            }
            i -= 1;
        }
        self.batches.partition_point(|b| b.next_offset() <= from)
    }

    /// Every record with its offset and epoch, oldest first (for views, expectations and checkers).
    pub fn records(&self) -> impl Iterator<Item = (Offset, LeaderEpoch, &Record)> + '_ {
        self.batches.iter().flat_map(|b| {
            b.records.iter().enumerate().map(move |(i, r)| (b.base_offset + i as Offset, b.epoch, r))
        })
    }

    /// The record at `offset`, if the log has it.
    pub fn record_at(&self, offset: Offset) -> Option<(LeaderEpoch, &Record)> {
        let idx = self.batches.partition_point(|b| b.next_offset() <= offset);
        let b = self.batches.get(idx)?;
        if offset < b.base_offset {
            return None;
        }
        b.records.get((offset - b.base_offset) as usize).map(|r| (b.epoch, r))
    }

    /// The first offset in `from..upto` where this log and `other` disagree: one has a record there and the other
    /// has not, or their records differ in leader epoch or producer identity. The same as comparing
    /// [`Log::record_at`] offset by offset, but a batch both logs share (a follower holds its leader's `Rc`) is
    /// passed over whole: the strong-ISR checker asks this for every ISR member after every step.
    pub fn first_difference(&self, other: &Log, from: Offset, upto: Offset) -> Option<Offset> {
        let index = |log: &Log, o: Offset| log.batches.partition_point(|b| b.next_offset() <= o);
        let (mut i, mut j) = (index(self, from), index(other, from));
        let mut o = from;
        while o < upto {
            // Most of the time both logs hold the very same batches: step over them without looking inside.
            while let (Some(x), Some(y)) = (self.batches.get(i), other.batches.get(j)) {
                if !Rc::ptr_eq(x, y) || x.base_offset > o {
                    break;
                }
                o = x.next_offset();
                (i, j) = (i + 1, j + 1);
                if o >= upto {
                    return None;
                }
            }
            let (a, b) = (self.batches.get(i), other.batches.get(j));
            // The stretch from `o` over which neither log enters or leaves a batch.
            let mut end = upto;
            for x in [a, b].into_iter().flatten() {
                end = end.min(if x.base_offset > o { x.base_offset } else { x.next_offset() });
            }
            let holds = |x: &&Rc<Batch>| x.base_offset <= o && o < x.next_offset();
            match (a.filter(holds), b.filter(holds)) {
                (None, None) => {}
                (Some(x), Some(y)) if Rc::ptr_eq(x, y) => {}
                (Some(x), Some(y)) => {
                    let differs = |p: Offset| {
                        let (r, s) = (
                            &x.records[(p - x.base_offset) as usize],
                            &y.records[(p - y.base_offset) as usize],
                        );
                        x.epoch != y.epoch || r.id != s.id
                    };
                    if let Some(p) = (o..end).find(|p| differs(*p)) {
                        return Some(p);
                    }
                }
                _ => return Some(o),
            }
            o = end;
            i += usize::from(a.is_some_and(|x| x.next_offset() <= o));
            j += usize::from(b.is_some_and(|x| x.next_offset() <= o));
        }
        None
    }

    /// Drops the last `n` records (a crash that loses the unflushed tail of the page cache).
    pub fn lose_tail(&mut self, n: u64) {
        let target = (self.log_end_offset - n as Offset).max(self.log_start_offset);
        self.truncate_to(target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(base: Offset, epoch: LeaderEpoch, n: usize) -> Rc<Batch> {
        let rec = Record {
            key: None,
            value: None,
            value_bytes: 10,
            id: RecordId { producer: ClientId(0), seq: 0 },
        };
        Rc::new(Batch {
            base_offset: base,
            epoch,
            producer: None,
            append_time: SimTime::ZERO,
            size_bytes: 10 * n as u32,
            records: vec![rec; n],
        })
    }

    fn log_with(epochs: &[LeaderEpoch]) -> Log {
        let mut log = Log::new();
        for (i, e) in epochs.iter().enumerate() {
            log.append(batch(i as Offset, *e, 1));
        }
        log
    }

    /// A batch whose records carry the producer sequence numbers `seqs`.
    fn batch_of(base: Offset, epoch: LeaderEpoch, seqs: &[u64]) -> Rc<Batch> {
        let mut b = (*batch(base, epoch, seqs.len())).clone();
        for (r, seq) in b.records.iter_mut().zip(seqs) {
            r.id.seq = *seq;
        }
        Rc::new(b)
    }

    #[test]
    fn first_difference_is_the_first_offset_where_record_at_differs() {
        let shared = [batch_of(0, 0, &[0, 1, 2]), batch_of(3, 0, &[3]), batch_of(4, 1, &[4, 5, 6, 7])];
        let mut leader = Log::new();
        for b in &shared {
            leader.append(Rc::clone(b));
        }
        leader.append(batch_of(8, 2, &[8, 9]));
        leader.append(batch_of(10, 2, &[10, 11, 12]));
        // Shares two batches, holds an equal copy of the third, then diverges inside the next one.
        let mut copy = Log::new();
        copy.append(Rc::clone(&shared[0]));
        copy.append(Rc::clone(&shared[1]));
        copy.append(Rc::new((*shared[2]).clone()));
        copy.append(batch_of(8, 2, &[8, 99, 100]));
        // Another epoch from offset 4 on, and a log that starts late and ends early.
        let mut other_epoch = Log::new();
        other_epoch.append(Rc::clone(&shared[0]));
        other_epoch.append(Rc::clone(&shared[1]));
        other_epoch.append(batch_of(4, 3, &[4, 5]));
        // An empty batch (a commit of no offsets) holds no offset: it must not count as a record.
        let mut empty_tail = Log::new();
        for b in &shared {
            empty_tail.append(Rc::clone(b));
        }
        empty_tail.append(batch_of(8, 2, &[]));
        let mut late = Log::new();
        for b in &shared {
            late.append(Rc::clone(b));
        }
        late.delete_records_before(5);
        let mut cut = leader.clone();
        cut.truncate_to(11);
        let logs = [leader, copy, other_epoch, late, cut, empty_tail, Log::new()];
        let naive = |a: &Log, b: &Log, from: Offset, upto: Offset| {
            (from..upto)
                .find(|o| a.record_at(*o).map(|(e, r)| (e, r.id)) != b.record_at(*o).map(|(e, r)| (e, r.id)))
        };
        for a in &logs {
            for b in &logs {
                for from in 0..15 {
                    for upto in from..15 {
                        assert_eq!(
                            a.first_difference(b, from, upto),
                            naive(a, b, from, upto),
                            "{from}..{upto}"
                        );
                    }
                }
            }
        }
        assert_eq!(logs[0].first_difference(&logs[1], 0, 13), Some(9));
    }

    #[test]
    fn end_offset_for_follows_leader_epoch_file_cache() {
        // Leader log of KIP-279's unit case: 0:1:a, 1:3:b, 2:5:c.
        let log = log_with(&[1, 3, 5]);
        assert_eq!(log.end_offset_for(5), Some(EpochEndOffset { epoch: 5, end_offset: 3 }));
        assert_eq!(log.end_offset_for(4), Some(EpochEndOffset { epoch: 3, end_offset: 2 }));
        assert_eq!(log.end_offset_for(2), Some(EpochEndOffset { epoch: 1, end_offset: 1 }));
        assert_eq!(log.end_offset_for(0), Some(EpochEndOffset { epoch: 0, end_offset: 0 }));
        assert_eq!(Log::new().end_offset_for(3), None);
    }

    #[test]
    fn truncation_drops_records_and_epochs_at_or_after_the_offset() {
        let mut log = log_with(&[0, 2, 4]);
        log.set_high_watermark(3);
        log.truncate_to(1);
        assert_eq!(log.log_end_offset(), 1);
        assert_eq!(log.high_watermark(), 1);
        assert_eq!(log.epoch_cache(), &[EpochEntry { epoch: 0, start_offset: 0 }]);
    }

    #[test]
    fn truncation_inside_a_batch_keeps_its_head() {
        let mut log = Log::new();
        log.append(batch(0, 0, 5));
        log.truncate_to(2);
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(log.batches()[0].records.len(), 2);
    }

    #[test]
    fn new_epoch_is_recorded_at_the_leo_before_any_write() {
        let mut log = log_with(&[0]);
        log.assign_epoch_start(1);
        assert_eq!(log.epoch_cache().last(), Some(&EpochEntry { epoch: 1, start_offset: 1 }));
        // A second empty epoch at the same offset replaces the first.
        log.assign_epoch_start(2);
        assert_eq!(log.epoch_cache().len(), 2);
        assert_eq!(log.end_offset_for(1), Some(EpochEndOffset { epoch: 0, end_offset: 1 }));
    }

    #[test]
    fn read_returns_the_first_batch_even_if_it_is_too_large() {
        let mut log = Log::new();
        log.append(batch(0, 0, 100));
        log.append(batch(100, 0, 1));
        assert_eq!(log.read(0, 101, 5).len(), 1);
        assert_eq!(log.read(0, 101, 2000).len(), 2);
        assert_eq!(log.read(0, 100, 2000).len(), 1, "stops at the bound");
    }
}
