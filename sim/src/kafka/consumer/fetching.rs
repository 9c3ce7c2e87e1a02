//! Positions and fetching: metadata, OffsetFetch of committed offsets, `auto.offset.reset` through ListOffsets,
//! one Fetch per leader broker, and the fetch buffer the application's `poll()` drains
//! (`Fetcher`/`AbstractFetch`, `FetchCollector`; kafka-group-protocol.md §8).

use super::config::OffsetReset;
use super::{Consumer, MemberState, PartitionState, Pending};
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::Effects;
use crate::kafka::assignor::TopicPartition;
use crate::kafka::group::protocol::{GroupRequest, OffsetSpec};
use crate::kafka::messages::{FetchPartition, FetchRequest, FetchResponse, Msg};
use crate::kafka::types::{BrokerId, ErrorCode, Offset, Tp};
use std::rc::Rc;

impl Consumer {
    /// The next bootstrap broker to ask, skipping those the client is backing off from (all of them backing
    /// off: the next one anyway).
    pub(super) fn pick_bootstrap(&mut self, now: SimTime) -> Option<BrokerId> {
        if self.bootstrap.is_empty() {
            return None;
        }
        let n = self.bootstrap.len();
        let start = self.bootstrap_cursor;
        let pick =
            (0..n).map(|i| self.bootstrap[(start + i) % n]).position(|b| self.reachable(now, b)).unwrap_or(0);
        self.bootstrap_cursor = start + pick + 1;
        Some(self.bootstrap[(start + pick) % n])
    }

    pub(super) fn maybe_refresh_metadata(&mut self, now: SimTime, out: &mut Effects) {
        if now < self.metadata_due || self.has_in_flight(|p| matches!(p, Pending::Metadata)) {
            return;
        }
        self.metadata_due = now.plus_ms(self.config.metadata_max_age_ms);
        let Some(broker) = self.pick_bootstrap(now) else { return };
        self.send(now, broker, Pending::Metadata, |correlation| Msg::MetadataRequest { correlation }, out);
    }

    /// New metadata: assign() partitions get their state; a group leader may have to rejoin.
    pub(super) fn on_metadata(&mut self, now: SimTime, out: &mut Effects) {
        if self.group.is_none() {
            for tp in self.manual.clone() {
                if let Some(t) = self.tp_of(&tp) {
                    self.partitions.entry(t).or_default();
                }
            }
        } else {
            self.on_metadata_for_group(out);
        }
        let missing = self.owned.iter().any(|tp| self.tp_of(tp).is_none())
            || self.topics.iter().any(|t| self.metadata.topic_by_name(t).is_none());
        if missing {
            // Something is not known yet (a topic being created): ask again soon.
            self.metadata_due = self.metadata_due.min(now.plus_ms(self.config.retry_backoff_ms));
        }
    }

    /// Finds positions for owned partitions without one: the committed offset (OffsetFetch) for a group
    /// consumer, then `auto.offset.reset` (ListOffsets) where there is none.
    pub(super) fn update_positions(&mut self, now: SimTime, out: &mut Effects) {
        if self.group.is_some() && self.state == MemberState::Stable {
            let unknown: Vec<Tp> = self
                .partitions
                .iter()
                .filter(|(_, p)| p.position.is_none() && !p.needs_reset && !p.resolving)
                .map(|(tp, _)| *tp)
                .collect();
            if !unknown.is_empty() && !self.has_in_flight(|p| matches!(p, Pending::OffsetFetch)) {
                if let Some(coordinator) = self.coordinator {
                    let partitions: Vec<TopicPartition> =
                        unknown.iter().filter_map(|tp| self.topic_partition(*tp)).collect();
                    for tp in &unknown {
                        self.partitions.get_mut(tp).expect("listed").resolving = true;
                    }
                    let group = Rc::clone(self.group.as_ref().expect("group"));
                    let req = GroupRequest::OffsetFetch { group, partitions };
                    self.send_group(now, coordinator, Pending::OffsetFetch, req, out);
                }
            }
        } else if self.group.is_none() {
            for p in self.partitions.values_mut() {
                if p.position.is_none() && !p.resolving {
                    p.needs_reset = true;
                }
            }
        }
        self.send_list_offsets(now, out);
    }

    pub(super) fn on_offset_fetch(
        &mut self,
        now: SimTime,
        _broker: BrokerId,
        result: Result<Vec<(TopicPartition, Offset)>, ErrorCode>,
        out: &mut Effects,
    ) {
        let committed = match result {
            Ok(c) => c,
            Err(e) => {
                for p in self.partitions.values_mut() {
                    p.resolving = false;
                }
                if matches!(e, ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE) {
                    self.coordinator_unknown(now);
                }
                return;
            }
        };
        for (tp, offset) in committed {
            let Some(t) = self.tp_of(&tp) else { continue };
            let Some(p) = self.partitions.get_mut(&t) else { continue };
            p.resolving = false;
            if offset >= 0 {
                p.position = Some(offset);
                p.committed = Some(offset);
                p.processed = Some(offset);
            } else {
                p.needs_reset = true;
            }
        }
        let _ = out;
    }

    fn send_list_offsets(&mut self, now: SimTime, out: &mut Effects) {
        let spec = match self.config.auto_offset_reset {
            OffsetReset::Earliest => OffsetSpec::Earliest,
            OffsetReset::Latest => OffsetSpec::Latest,
            OffsetReset::None => {
                let stuck: Vec<Tp> = self
                    .partitions
                    .iter()
                    .filter(|(_, p)| p.needs_reset && !p.resolving)
                    .map(|(t, _)| *t)
                    .collect();
                for tp in stuck {
                    self.partitions.get_mut(&tp).expect("listed").resolving = true;
                    out.trace(TraceKind::ConsumerError {
                        consumer: self.name.to_string(),
                        error: "NoOffsetForPartitionException".into(),
                        message: format!(
                            "{} has no committed offset (or it is out of range) and auto.offset.reset=none; \
                             poll() throws until the application seeks",
                            self.metadata.tp_name(tp)
                        ),
                    });
                }
                return;
            }
        };
        let mut by_leader: VecMap<BrokerId, Vec<(Tp, OffsetSpec)>> = VecMap::new();
        for (tp, p) in &self.partitions {
            if !p.needs_reset || p.resolving {
                continue;
            }
            if let Some(leader) = self.metadata.partition(*tp).and_then(|m| m.leader) {
                by_leader.get_or_default(leader).push((*tp, spec));
            }
        }
        for (leader, partitions) in by_leader {
            for (tp, _) in &partitions {
                self.partitions.get_mut(tp).expect("listed").resolving = true;
            }
            self.send_group(now, leader, Pending::ListOffsets, GroupRequest::ListOffsets { partitions }, out);
        }
    }

    pub(super) fn on_list_offsets(
        &mut self,
        now: SimTime,
        partitions: Vec<(Tp, Result<Offset, ErrorCode>)>,
        out: &mut Effects,
    ) {
        for (tp, r) in partitions {
            let name = self.metadata.tp_name(tp);
            let policy = self.config.auto_offset_reset.name();
            let is_group = self.group.is_some();
            let Some(p) = self.partitions.get_mut(&tp) else { continue };
            p.resolving = false;
            match r {
                Ok(offset) => {
                    let reason = if p.position.is_some() {
                        "is out of range (OFFSET_OUT_OF_RANGE: deleted, or beyond the log end)"
                    } else if is_group {
                        "has no committed offset for this group"
                    } else {
                        "has no position (assign() without seek)"
                    };
                    p.needs_reset = false;
                    let from = p.position;
                    p.position = Some(offset);
                    if p.processed.is_none() {
                        p.processed = Some(offset);
                    }
                    out.trace(TraceKind::OffsetReset {
                        consumer: self.name.to_string(),
                        group: self.group.as_deref().unwrap_or("").to_string(),
                        partition: name,
                        policy: policy.to_string(),
                        from,
                        offset,
                        reason: reason.to_string(),
                    });
                }
                Err(_) => {
                    p.backoff_until = now.plus_ms(self.config.retry_backoff_ms);
                    self.metadata_due = now;
                }
            }
        }
    }

    /// Whether a partition may be fetched now: it has a position, no error backoff, and room in its buffer.
    fn fetchable(&self, now: SimTime, p: &PartitionState) -> bool {
        p.position.is_some()
            && !p.needs_reset
            && !p.resolving
            && p.backoff_until <= now
            && match self.config.buffer_records {
                0 => p.buffered_records == 0,
                cap => p.buffered_records < cap,
            }
    }

    /// sarama: a broker consumer waits for every partition's feeder before its next fetch; a feeder blocked on
    /// a full channel holds it up to `MaxProcessingTime`, after which the slow partition is left out. Returns
    /// until when the fetch from `leader` must wait.
    fn held_by_slow_partition(&self, now: SimTime, leader: BrokerId) -> Option<SimTime> {
        let mpt = self.config.max_processing_time_ms?;
        self.partitions
            .iter()
            .filter(|(tp, _)| self.metadata.partition(**tp).and_then(|m| m.leader) == Some(leader))
            .filter_map(|(_, p)| p.full_since.map(|t| t.plus_ms(mpt)))
            .filter(|until| *until > now)
            .min()
    }

    /// One Fetch per leader for the owned partitions that may be fetched, and only to leaders with no fetch in
    /// flight ([AF]:290-312).
    pub(super) fn send_fetches(&mut self, now: SimTime, out: &mut Effects) {
        if self.group.is_some() && self.state != MemberState::Stable {
            return;
        }
        let busy: Vec<BrokerId> = self
            .in_flight
            .values()
            .filter_map(|f| match f.what {
                Pending::Fetch { broker } => Some(broker),
                _ => None,
            })
            .collect();
        let mut by_leader: VecMap<BrokerId, Vec<FetchPartition>> = VecMap::new();
        for (tp, p) in &self.partitions {
            if !self.fetchable(now, p) {
                continue;
            }
            let Some(meta) = self.metadata.partition(*tp) else { continue };
            let Some(leader) = meta.leader else { continue };
            if busy.contains(&leader) || !self.reachable(now, leader) {
                continue;
            }
            by_leader.get_or_default(leader).push(FetchPartition {
                tp: *tp,
                fetch_offset: p.position.expect("fetchable"),
                last_fetched_epoch: None,
                current_leader_epoch: meta.leader_epoch,
            });
        }
        for (leader, partitions) in by_leader {
            if self.held_by_slow_partition(now, leader).is_some() {
                continue;
            }
            for fp in &partitions {
                self.partitions.get_mut(&fp.tp).expect("listed").fetched_from = Some(fp.fetch_offset);
            }
            let (max_wait_ms, min_bytes) = (self.config.fetch_max_wait_ms, self.config.fetch_min_bytes);
            let (partition_max_bytes, max_bytes) =
                (self.config.max_partition_fetch_bytes, self.config.fetch_max_bytes);
            self.send(
                now,
                leader,
                Pending::Fetch { broker: leader },
                |correlation| {
                    Msg::Fetch(Rc::new(FetchRequest {
                        correlation,
                        replica: None,
                        max_wait_ms,
                        min_bytes,
                        partition_max_bytes,
                        max_bytes,
                        partitions,
                    }))
                },
                out,
            );
        }
    }

    /// The earliest instant a sarama fetch held by a slow partition may go (for the wake-up timer).
    pub(super) fn next_fetch_release(&self, now: SimTime) -> Option<SimTime> {
        let mpt = self.config.max_processing_time_ms?;
        self.partitions
            .values()
            .filter_map(|p| p.full_since.map(|t| t.plus_ms(mpt)))
            .filter(|t| *t > now)
            .min()
    }

    pub(super) fn on_fetch_response(
        &mut self,
        now: SimTime,
        _broker: BrokerId,
        resp: &FetchResponse,
        _out: &mut Effects,
    ) {
        for part in &resp.partitions {
            let Some(p) = self.partitions.get_mut(&part.tp) else { continue };
            // An answer for a position the consumer has left meanwhile (a seek, a reset) is dropped, data or
            // error, as FetchCollector does.
            let current = p.position.is_some() && p.fetched_from.take() == p.position;
            match part.error {
                _ if !current => {}
                None => {
                    p.fetch_errors = 0;
                    p.high_watermark = Some(part.high_watermark);
                    p.log_end_offset = Some(part.log_end_offset);
                    let Some(position) = p.position else { continue };
                    for b in &part.batches {
                        if b.next_offset() > position {
                            p.buffered_records += (b.next_offset() - position.max(b.base_offset)) as u64;
                            self.buffer.push_back((part.tp, Rc::clone(b)));
                        }
                    }
                    let cap = self.config.buffer_records;
                    if cap > 0 && p.buffered_records > cap && p.full_since.is_none() {
                        p.full_since = Some(now);
                    }
                }
                Some(ErrorCode::OFFSET_OUT_OF_RANGE) => {
                    // The position is gone (DeleteRecords, retention) or beyond the log: auto.offset.reset.
                    p.needs_reset = true;
                    p.high_watermark = Some(part.high_watermark);
                }
                Some(_) => {
                    p.fetch_errors += 1;
                    let attempt = p.fetch_errors;
                    let (base, max) = (self.config.fetch_backoff_ms, self.config.fetch_backoff_max_ms);
                    let wait = self.backoff_ms(base, max, attempt);
                    if let Some(p) = self.partitions.get_mut(&part.tp) {
                        p.backoff_until = now.plus_ms(wait);
                    }
                    self.metadata_due = now;
                }
            }
        }
    }

    /// `poll()`: up to `max.poll.records` records from the buffer, as (partition, first, last) ranges, advancing
    /// the positions.
    pub(super) fn take_records(&mut self) -> Vec<(Tp, Offset, Offset)> {
        let mut left = self.config.max_poll_records;
        let mut ranges: Vec<(Tp, Offset, Offset)> = Vec::new();
        while left > 0 {
            let Some((tp, batch)) = self.buffer.front().cloned() else { break };
            let Some(p) = self.partitions.get_mut(&tp) else {
                self.buffer.pop_front();
                continue;
            };
            let position = p.position.unwrap_or(batch.base_offset);
            let first = position.max(batch.base_offset);
            if first >= batch.next_offset() {
                self.buffer.pop_front();
                continue;
            }
            let last = (first + left as Offset - 1).min(batch.last_offset());
            let n = (last - first + 1) as u64;
            left -= n as usize;
            p.position = Some(last + 1);
            p.buffered_records = p.buffered_records.saturating_sub(n);
            if p.buffered_records <= self.config.buffer_records {
                p.full_since = None;
            }
            match ranges.last_mut() {
                Some((t, _, l)) if *t == tp && *l + 1 == first => *l = last,
                _ => ranges.push((tp, first, last)),
            }
            if last == batch.last_offset() {
                self.buffer.pop_front();
            }
        }
        ranges
    }
}
