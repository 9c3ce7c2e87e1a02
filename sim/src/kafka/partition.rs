//! One broker's replica of one partition, in the role the controller gave it (`Partition.scala`).
//!
//! ```text
//!                 metadata: leader = me, newer epoch
//!   (none) ───────────────────────────────────────────▶ Leader ──┐
//!     │   metadata: leader = other (or none), newer epoch  ▲     │ metadata: leader = other
//!     └──────────────────────────────▶ Follower ───────────┘◀────┘
//! ```
//!
//! The leader appends produced batches stamped with its epoch, tracks each follower's fetch position, proposes
//! ISR changes to the controller (AlterPartition) and advances the high watermark. A follower only ever changes
//! its log through its replica fetcher (`fetcher.rs`).

use super::log::{Batch, Log};
use super::metadata::PartitionMeta;
use super::types::{BrokerId, ClientId, LeaderEpoch, Offset, Tp};
use crate::engine::time::SimTime;
use crate::engine::vec_map::VecMap;
use std::rc::Rc;

/// The role of this replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Leading: takes produce requests and serves fetches.
    Leader,
    /// Following `leader` (or nobody, while the partition is offline).
    Follower { leader: Option<BrokerId> },
}

/// What the leader knows about one follower (`Replica.scala` replica state).
#[derive(Clone, Copy, Debug)]
pub struct FollowerState {
    /// The follower's LEO as of its last fetch; -1 until it fetches in this leader epoch.
    pub log_end_offset: Offset,
    /// Last instant the follower was fully caught up (drives the ISR shrink).
    pub last_caught_up: SimTime,
    /// When it last fetched, and what the leader's LEO was then.
    pub last_fetch: SimTime,
    /// The leader's LEO at `last_fetch`.
    pub leo_at_last_fetch: Offset,
}

/// The last batch an idempotent producer wrote (Kafka keeps the last 5; one in flight per partition here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerEntry {
    /// The producer epoch it was written with.
    pub epoch: i16,
    /// First sequence number of the batch.
    pub base_seq: i64,
    /// Number of records.
    pub count: i64,
    /// Where it was written.
    pub base_offset: Offset,
}

/// Result of a leader-side append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Appended at `base_offset`; the last offset is `last_offset`.
    New { base_offset: Offset, last_offset: Offset },
    /// A retry of a batch already in the log (idempotence): not written twice.
    Duplicate { base_offset: Offset, last_offset: Offset },
}

/// A replica of one partition on this broker.
#[derive(Clone, Debug)]
pub struct Partition {
    /// Which partition.
    pub tp: Tp,
    /// `topic-index`, for the trace.
    pub name: Rc<str>,
    /// The log (survives crashes).
    pub log: Log,
    /// Current role.
    pub role: Role,
    /// The leader epoch this replica is in.
    pub leader_epoch: LeaderEpoch,
    /// The partition epoch of the ISR this replica knows.
    pub partition_epoch: i32,
    /// Assigned replicas.
    pub replicas: Vec<BrokerId>,
    /// The ISR as committed by the controller.
    pub isr: Vec<BrokerId>,
    /// An AlterPartition in flight: the proposed ISR and when it was sent.
    pub pending_isr: Option<(Vec<BrokerId>, SimTime)>,
    /// Leader only: what it knows of each follower.
    pub followers: VecMap<BrokerId, FollowerState>,
    /// Idempotent producers' last batch on this partition (rebuilt from the log after a truncation).
    pub producers: VecMap<ClientId, ProducerEntry>,
    /// Follower only: don't fetch before this instant (after an error).
    pub fetch_backoff_until: SimTime,
    /// The topic's `max.message.bytes`, from the latest metadata.
    pub max_message_bytes: u32,
    /// The topic's `min.insync.replicas`, from the latest metadata.
    pub min_insync_replicas: usize,
}

impl Partition {
    /// A replica with `log` (empty for a new replica, or what survived a restart), not yet in any role.
    pub fn new(tp: Tp, name: Rc<str>, log: Log) -> Self {
        let mut p = Self {
            tp,
            name,
            log,
            role: Role::Follower { leader: None },
            leader_epoch: -1,
            partition_epoch: -1,
            replicas: Vec::new(),
            isr: Vec::new(),
            pending_isr: None,
            followers: VecMap::new(),
            producers: VecMap::new(),
            fetch_backoff_until: SimTime::ZERO,
            max_message_bytes: u32::MAX,
            min_insync_replicas: 1,
        };
        p.rebuild_producer_state();
        p
    }

    /// Whether this replica leads.
    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }

    /// Takes leadership in `meta.leader_epoch` (`Partition.makeLeader`): record the new epoch at the LEO before
    /// any write, and forget what followers had fetched (they must fetch again in this epoch).
    pub fn become_leader(&mut self, me: BrokerId, meta: &PartitionMeta, now: SimTime) {
        assert_eq!(meta.leader, Some(me), "become_leader on a broker the controller did not elect");
        assert!(meta.leader_epoch >= self.leader_epoch, "leader epochs only grow");
        self.role = Role::Leader;
        self.leader_epoch = meta.leader_epoch;
        self.partition_epoch = meta.partition_epoch;
        self.replicas = meta.replicas.clone();
        self.isr = meta.isr.clone();
        self.pending_isr = None;
        self.log.assign_epoch_start(meta.leader_epoch);
        let leo = self.log.log_end_offset();
        self.followers = meta
            .replicas
            .iter()
            .filter(|r| **r != me)
            .map(|r| {
                // ISR members start "caught up now", so a new leader does not shrink them at once.
                let caught_up = if meta.isr.contains(r) { now } else { SimTime::ZERO };
                let state = FollowerState {
                    log_end_offset: -1,
                    last_caught_up: caught_up,
                    last_fetch: now,
                    leo_at_last_fetch: leo,
                };
                (*r, state)
            })
            .collect();
    }

    /// Follows `meta.leader` in `meta.leader_epoch` (`Partition.makeFollower`). KIP-101: no truncation to the
    /// high watermark here; the fetcher truncates only where the leader's epochs say the logs diverge.
    pub fn become_follower(&mut self, meta: &PartitionMeta) {
        self.role = Role::Follower { leader: meta.leader };
        self.leader_epoch = meta.leader_epoch;
        self.partition_epoch = meta.partition_epoch;
        self.replicas = meta.replicas.clone();
        self.isr = meta.isr.clone();
        self.pending_isr = None;
        self.followers.clear();
        self.fetch_backoff_until = SimTime::ZERO;
    }

    /// Takes an ISR change committed by the controller for the current leader epoch.
    pub fn update_isr(&mut self, partition_epoch: i32, isr: Vec<BrokerId>) {
        if partition_epoch > self.partition_epoch {
            self.partition_epoch = partition_epoch;
            self.isr = isr;
            self.pending_isr = None;
        }
    }

    /// The maximal ISR: the committed ISR plus any replica a pending AlterPartition adds. The HW waits for all
    /// of them, so that a replica being added is not left behind the HW (`Partition.maximalIsr`).
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        let mut all = self.isr.clone();
        if let Some((pending, _)) = &self.pending_isr {
            for b in pending {
                if !all.contains(b) {
                    all.push(*b);
                }
            }
        }
        all
    }

    /// The size of the maximal ISR, without building it.
    pub fn maximal_isr_len(&self) -> usize {
        match &self.pending_isr {
            Some((pending, _)) => self.isr.len() + pending.iter().filter(|b| !self.isr.contains(b)).count(),
            None => self.isr.len(),
        }
    }

    /// Appends a producer's batch as leader, stamping it with the leader epoch. Idempotent producers' retries
    /// of the batch already written are recognised and not written twice.
    pub fn append_as_leader(&mut self, batch: Batch, now: SimTime) -> Result<Appended, i64> {
        self.append_shared_as_leader(Rc::new(batch), now)
    }

    /// [`Partition::append_as_leader`] for a batch that arrived shared (a produce request): the log keeps that
    /// batch, stamped in place, unless another holder forces a copy.
    pub fn append_shared_as_leader(&mut self, mut batch: Rc<Batch>, now: SimTime) -> Result<Appended, i64> {
        if let Some((pid, epoch, base_seq)) = batch.producer {
            if let Some(last) = self.producers.get(&pid) {
                // A new producer epoch (the producer bumped it after a sequence gap) starts again at 0.
                let fresh_epoch = epoch > last.epoch && base_seq == 0;
                if epoch < last.epoch {
                    return Err(last.base_seq + last.count);
                }
                if !fresh_epoch && last.base_seq == base_seq {
                    let last_offset = last.base_offset + last.count - 1;
                    return Ok(Appended::Duplicate { base_offset: last.base_offset, last_offset });
                }
                if !fresh_epoch && base_seq != last.base_seq + last.count {
                    return Err(last.base_seq + last.count);
                }
            }
        }
        let stamped = Rc::make_mut(&mut batch);
        stamped.base_offset = self.log.log_end_offset();
        stamped.epoch = self.leader_epoch;
        stamped.append_time = now;
        let (base_offset, last_offset) = (batch.base_offset, batch.last_offset());
        self.record_producer(&batch);
        self.log.append(batch);
        Ok(Appended::New { base_offset, last_offset })
    }

    /// Appends a batch copied from the leader (follower side).
    pub fn append_as_follower(&mut self, batch: Rc<Batch>) {
        self.record_producer(&batch);
        self.log.append(batch);
    }

    fn record_producer(&mut self, batch: &Batch) {
        if let Some((pid, epoch, base_seq)) = batch.producer {
            let entry = ProducerEntry {
                epoch,
                base_seq,
                count: batch.records.len() as i64,
                base_offset: batch.base_offset,
            };
            self.producers.insert(pid, entry);
        }
    }

    /// Rebuilds idempotent producers' state from the log (after a restart or a truncation), as Kafka rebuilds
    /// its producer state from the log's batches.
    pub fn rebuild_producer_state(&mut self) {
        self.producers.clear();
        let batches: Vec<Rc<Batch>> = self.log.batches().to_vec();
        for b in &batches {
            self.record_producer(b);
        }
    }

    /// Records a follower's fetch at `fetch_offset` (`Replica.updateFetchStateOrThrow`): a fetch at the leader's
    /// LEO means caught up now; a fetch at least at the LEO of its previous fetch means caught up as of then.
    pub fn record_follower_fetch(&mut self, follower: BrokerId, fetch_offset: Offset, now: SimTime) {
        let leo = self.log.log_end_offset();
        if let Some((_, f)) = self.followers.iter_mut().find(|(b, _)| **b == follower) {
            if fetch_offset >= leo {
                f.last_caught_up = now;
            } else if fetch_offset >= f.leo_at_last_fetch {
                f.last_caught_up = f.last_caught_up.max(f.last_fetch);
            }
            f.log_end_offset = fetch_offset;
            f.last_fetch = now;
            f.leo_at_last_fetch = leo;
        }
    }

    /// The high watermark the leader may move to: the smallest LEO over the maximal ISR, never lower than the
    /// current HW, and frozen while the ISR is smaller than `min.insync.replicas` (KAFKA-15583).
    pub fn candidate_high_watermark(&self, me: BrokerId, min_isr: usize) -> Option<Offset> {
        if self.isr.len() < min_isr {
            return None;
        }
        let current = self.log.high_watermark();
        let mut hw = self.log.log_end_offset();
        let pending = self.pending_isr.as_ref().map_or(&[][..], |(p, _)| p.as_slice());
        for b in self.isr.iter().chain(pending.iter()) {
            if *b == me {
                continue;
            }
            hw = hw.min(self.follower(*b).map_or(-1, |f| f.log_end_offset));
            // The candidate only falls from here on: once it is not above the HW, the HW stays.
            if hw <= current {
                return None;
            }
        }
        (hw > current).then_some(hw)
    }

    /// What the leader knows of `follower` (a scan: a partition has only a few).
    fn follower(&self, follower: BrokerId) -> Option<&FollowerState> {
        self.followers.iter().find(|(b, _)| **b == follower).map(|(_, f)| f)
    }

    /// KAFKA-7128: a follower may join the ISR only when it has reached the HW *and* the start of the leader's
    /// current epoch, so that it holds every record the new epoch's leader had when it took over.
    pub fn is_follower_in_sync(&self, follower: BrokerId) -> bool {
        let Some(f) = self.follower(follower) else {
            return false;
        };
        let epoch_start = self.log.epoch_start_offset(self.leader_epoch).unwrap_or(0);
        f.log_end_offset >= self.log.high_watermark() && f.log_end_offset >= epoch_start
    }

    /// Followers in the ISR that have not been caught up for `lag_max_us` (`Partition.getOutOfSyncReplicas`).
    pub fn out_of_sync_replicas(&self, now: SimTime, lag_max_us: u64) -> Vec<BrokerId> {
        self.isr
            .iter()
            .filter(|b| self.followers.get(b).is_some_and(|f| now.since(f.last_caught_up) > lag_max_us))
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::Record;
    use crate::kafka::types::{RecordId, TopicId};

    fn meta(leader: i32, epoch: i32, isr: &[i32]) -> PartitionMeta {
        PartitionMeta {
            replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
            isr: isr.iter().map(|b| BrokerId(*b)).collect(),
            leader: Some(BrokerId(leader)),
            leader_epoch: epoch,
            partition_epoch: epoch,
            recovering: false,
        }
    }

    fn batch(producer: Option<(ClientId, i16, i64)>) -> Batch {
        let id = RecordId { producer: ClientId(9), seq: 0 };
        Batch {
            base_offset: 0,
            epoch: 0,
            producer,
            append_time: SimTime::ZERO,
            size_bytes: 100,
            records: vec![Record { key: None, value: None, value_bytes: 100, id }],
        }
    }

    fn leader() -> Partition {
        let mut p = Partition::new(Tp { topic: TopicId(0), partition: 0 }, "t-0".into(), Log::new());
        p.become_leader(BrokerId(1), &meta(1, 3, &[1, 2, 3]), SimTime::ZERO);
        p
    }

    #[test]
    fn leader_stamps_its_epoch_and_records_it_in_the_cache() {
        let mut p = leader();
        assert_eq!(
            p.append_as_leader(batch(None), SimTime(1)),
            Ok(Appended::New { base_offset: 0, last_offset: 0 })
        );
        assert_eq!(p.log.batches()[0].epoch, 3);
        assert_eq!(p.log.epoch_cache()[0].epoch, 3);
    }

    #[test]
    fn idempotent_retry_is_not_written_twice() {
        let mut p = leader();
        let pid = Some((ClientId(9), 0, 0));
        p.append_as_leader(batch(pid), SimTime(1)).unwrap();
        assert_eq!(
            p.append_as_leader(batch(pid), SimTime(2)),
            Ok(Appended::Duplicate { base_offset: 0, last_offset: 0 })
        );
        assert_eq!(p.log.log_end_offset(), 1);
        assert_eq!(
            p.append_as_leader(batch(Some((ClientId(9), 0, 5))), SimTime(3)),
            Err(1),
            "gap in sequence"
        );
    }

    #[test]
    fn high_watermark_is_min_leo_of_isr_and_frozen_under_min_isr() {
        let mut p = leader();
        p.append_as_leader(batch(None), SimTime(1)).unwrap();
        assert_eq!(p.candidate_high_watermark(BrokerId(1), 1), None, "followers have not fetched");
        p.record_follower_fetch(BrokerId(2), 1, SimTime(2));
        p.record_follower_fetch(BrokerId(3), 1, SimTime(2));
        assert_eq!(p.candidate_high_watermark(BrokerId(1), 1), Some(1));
        p.isr = vec![BrokerId(1)];
        assert_eq!(p.candidate_high_watermark(BrokerId(1), 2), None, "KAFKA-15583: frozen under min ISR");
    }

    #[test]
    fn isr_join_needs_the_start_of_the_leader_epoch() {
        // KAFKA-7128: HW 0 but the epoch started at offset 1; a follower at LEO 0 may not join.
        let mut p = Partition::new(Tp { topic: TopicId(0), partition: 0 }, "t-0".into(), Log::new());
        p.log.append(Rc::new(Batch { epoch: 0, ..batch(None) }));
        p.become_leader(BrokerId(1), &meta(1, 4, &[1]), SimTime::ZERO);
        p.record_follower_fetch(BrokerId(2), 0, SimTime(1));
        assert!(!p.is_follower_in_sync(BrokerId(2)));
        p.record_follower_fetch(BrokerId(2), 1, SimTime(2));
        assert!(p.is_follower_in_sync(BrokerId(2)));
    }

    #[test]
    fn follower_lagging_longer_than_lag_max_is_out_of_sync() {
        let mut p = leader();
        p.append_as_leader(batch(None), SimTime(1)).unwrap();
        p.record_follower_fetch(BrokerId(2), 1, SimTime::from_ms(10_000));
        p.record_follower_fetch(BrokerId(3), 0, SimTime::from_ms(10_000));
        assert_eq!(p.out_of_sync_replicas(SimTime(31_000_000), 30_000_000), vec![BrokerId(3)]);
    }
}
