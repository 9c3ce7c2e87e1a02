//! The follower side of replication: one replica fetcher per leader broker (`ReplicaFetcherThread` /
//! `AbstractFetcherThread`). It fetches every partition it follows from that leader in one request, truncates
//! where the leader's epochs say the logs diverged (KIP-101, KIP-279, KIP-320), appends what it receives and
//! takes the leader's high watermark.

use super::broker::Broker;
use super::config::BrokerConfig;
use super::log::EpochEndOffset;
use super::messages::{
    unshared_or, FetchPartition, FetchPartitionResponse, FetchRequest, FetchResponse, Msg,
};
use super::partition::Partition;
use super::types::{BrokerId, ErrorCode, Offset};
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::{Effects, NodeId, Timer};
use std::rc::Rc;

/// One fetcher's state.
#[derive(Clone, Debug, Default)]
pub struct FetcherState {
    /// The correlation id of the fetch in flight, if any (one at a time per leader).
    pub in_flight: Option<u64>,
    /// Bumped whenever a wake-up timer is set, so older wake-ups are ignored.
    pub generation: u64,
    /// When the fetch in flight was sent.
    pub sent_at: SimTime,
    /// Whether a fetch-timeout timer is pending (one per fetcher, re-armed lazily).
    pub timer_armed: bool,
    /// The last request sent, refilled for the next fetch once the leader has let go of it.
    last_request: Option<Rc<FetchRequest>>,
}

/// The broker configs that every fetch reads, taken once when the broker starts: `BrokerConfig::get` finds a
/// config by name, which is too slow for a path taken several times per record. Broker configs never change
/// while the process runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FetchSettings {
    /// `replica.fetch.wait.max.ms`.
    pub(crate) replica_fetch_wait_max_ms: u64,
    /// `replica.fetch.max.bytes`.
    pub(crate) replica_fetch_max_bytes: u32,
    /// `replica.fetch.response.max.bytes`.
    pub(crate) replica_fetch_response_max_bytes: u32,
    /// `replica.socket.timeout.ms`.
    pub(crate) replica_socket_timeout_ms: u64,
    /// `replica.fetch.backoff.ms`.
    pub(crate) replica_fetch_backoff_ms: u64,
    /// `fetch.max.bytes`, the cap on a consumer's fetch response.
    pub(crate) fetch_max_bytes: u32,
    /// `kafkasim.pre.kip101.truncation`: followers send no last fetched epoch, so leaders never answer with a
    /// diverging epoch, and a new follower truncates to its high watermark (Kafka before 0.11).
    pub(crate) pre_kip101: bool,
}

impl FetchSettings {
    pub(crate) fn new(config: &BrokerConfig) -> Self {
        Self {
            replica_fetch_wait_max_ms: config.ms("replica.fetch.wait.max.ms"),
            replica_fetch_max_bytes: config.get("replica.fetch.max.bytes").max(0) as u32,
            replica_fetch_response_max_bytes: config.get("replica.fetch.response.max.bytes").max(0) as u32,
            replica_socket_timeout_ms: config.ms("replica.socket.timeout.ms"),
            replica_fetch_backoff_ms: config.ms("replica.fetch.backoff.ms"),
            fetch_max_bytes: config.get("fetch.max.bytes").clamp(0, i64::from(u32::MAX)) as u32,
            pre_kip101: config.flag("kafkasim.pre.kip101.truncation"),
        }
    }
}

impl Broker {
    /// Starts fetching from every leader this broker follows that has no fetch in flight.
    pub(crate) fn refresh_fetchers(&mut self, now: SimTime, out: &mut Effects) {
        let leaders: Vec<BrokerId> = {
            let mut l: Vec<BrokerId> =
                self.partitions.values().filter_map(|p| p.role.followed_leader()).collect();
            sort::sort(&mut l);
            l.dedup();
            l
        };
        for leader in leaders {
            self.maybe_fetch(now, leader, out);
        }
    }

    pub(crate) fn on_fetcher_wake(
        &mut self,
        now: SimTime,
        leader: BrokerId,
        generation: u64,
        out: &mut Effects,
    ) {
        if self.fetchers.get(&leader).is_some_and(|f| f.generation == generation) {
            self.maybe_fetch(now, leader, out);
        }
    }

    /// Sends a fetch to `leader` for every partition followed from it that is not backing off.
    fn maybe_fetch(&mut self, now: SimTime, leader: BrokerId, out: &mut Effects) {
        if self.fetchers.get(&leader).is_some_and(|f| f.in_flight.is_some()) || leader == self.id {
            return;
        }
        let (me, settings) = (self.id, self.fetch_settings);
        let state = self.fetchers.get_or_default(leader);
        let mut request = unshared_or(state.last_request.take(), FetchRequest::default);
        let r = Rc::get_mut(&mut request).expect("an unshared request");
        r.partitions.clear();
        let mut earliest_backoff = SimTime::NEVER;
        for p in self.partitions.values().filter(|p| p.role.followed_leader() == Some(leader)) {
            if p.fetch_backoff_until > now {
                earliest_backoff = earliest_backoff.min(p.fetch_backoff_until);
                continue;
            }
            r.partitions.push(FetchPartition {
                tp: p.tp,
                fetch_offset: p.log.log_end_offset(),
                last_fetched_epoch: if settings.pre_kip101 { None } else { p.log.latest_epoch() },
                current_leader_epoch: p.leader_epoch,
            });
        }
        if r.partitions.is_empty() {
            state.last_request = Some(request);
            if earliest_backoff != SimTime::NEVER {
                state.generation += 1;
                out.timer(earliest_backoff, Timer::FetcherWake { leader, generation: state.generation });
            }
            return;
        }
        self.next_correlation += 1;
        let correlation = self.next_correlation;
        state.in_flight = Some(correlation);
        *r = FetchRequest {
            correlation,
            replica: Some(me),
            max_wait_ms: settings.replica_fetch_wait_max_ms,
            min_bytes: 1,
            partition_max_bytes: settings.replica_fetch_max_bytes,
            max_bytes: settings.replica_fetch_response_max_bytes,
            partitions: std::mem::take(&mut r.partitions),
        };
        state.last_request = Some(Rc::clone(&request));
        out.send(NodeId::Broker(leader), Msg::Fetch(request));
        state.sent_at = now;
        if !state.timer_armed {
            state.timer_armed = true;
            out.timer(now.plus_ms(settings.replica_socket_timeout_ms), Timer::FetchTimeout { leader });
        }
    }

    /// The fetch-timeout timer: a fetch to `leader` older than `replica.socket.timeout.ms` got no answer (a
    /// cut link, a dead or paused leader): forget it and fetch again. Otherwise re-arm for the current one.
    pub(crate) fn on_fetch_timeout(&mut self, now: SimTime, leader: BrokerId, out: &mut Effects) {
        let timeout_ms = self.fetch_settings.replica_socket_timeout_ms;
        let state = self.fetchers.get_or_default(leader);
        state.timer_armed = false;
        if state.in_flight.is_none() {
            return;
        }
        let deadline = state.sent_at.plus_ms(timeout_ms);
        if deadline <= now {
            state.in_flight = None;
            self.maybe_fetch(now, leader, out);
        } else {
            state.timer_armed = true;
            out.timer(deadline, Timer::FetchTimeout { leader });
        }
    }

    pub(crate) fn on_fetch_response(
        &mut self,
        now: SimTime,
        leader: BrokerId,
        resp: &FetchResponse,
        out: &mut Effects,
    ) {
        let state = self.fetchers.get_or_default(leader);
        if state.in_flight != Some(resp.correlation) {
            return;
        }
        state.in_flight = None;
        let backoff_ms = self.fetch_settings.replica_fetch_backoff_ms;
        let me = self.id;
        for pr in &resp.partitions {
            let Some(p) = self.partitions.get_mut(&pr.tp) else {
                continue;
            };
            if p.role.followed_leader() != Some(leader) {
                continue;
            }
            apply_fetched_partition(me, p, pr, now, backoff_ms, out);
        }
        self.maybe_fetch(now, leader, out);
    }

    /// The HW a follower may expose: the leader's, but never beyond its own LEO.
    pub fn follower_high_watermark(p: &Partition, leader_hw: Offset) -> Offset {
        leader_hw.min(p.log.log_end_offset())
    }
}

fn apply_fetched_partition(
    me: BrokerId,
    p: &mut Partition,
    pr: &FetchPartitionResponse,
    now: SimTime,
    backoff_ms: u64,
    out: &mut Effects,
) {
    if let Some(error) = pr.error {
        handle_fetch_error(me, p, pr, error, now, backoff_ms, out);
        return;
    }
    if let Some(diverging) = pr.diverging_epoch {
        // KAFKA-14704: truncate first, and do not apply this response's high watermark.
        truncate_on_divergence(me, p, diverging, out);
        return;
    }
    for batch in &pr.batches {
        if batch.next_offset() <= p.log.log_end_offset() {
            continue;
        }
        if batch.base_offset != p.log.log_end_offset() {
            // A batch that straddles our LEO cannot be appended whole; fetch again from the LEO.
            break;
        }
        p.append_as_follower(Rc::clone(batch));
    }
    if pr.log_start_offset > p.log.log_start_offset() {
        p.log.delete_records_before(pr.log_start_offset);
    }
    let hw = Broker::follower_high_watermark(p, pr.high_watermark);
    if hw > p.log.high_watermark() || hw < p.log.high_watermark() {
        p.log.set_high_watermark(hw);
    }
}

fn handle_fetch_error(
    me: BrokerId,
    p: &mut Partition,
    pr: &FetchPartitionResponse,
    error: ErrorCode,
    now: SimTime,
    backoff_ms: u64,
    out: &mut Effects,
) {
    if error == ErrorCode::OFFSET_OUT_OF_RANGE {
        let leo = p.log.log_end_offset();
        if leo > pr.log_end_offset {
            // AbstractFetcherThread.fetchOffsetAndTruncate: ahead of the leader's LEO (its log was replaced,
            // as after an unclean election): truncate to the leader's LEO.
            truncate(me, p, pr.log_end_offset, "fetch offset is beyond the leader's log end offset", out);
        } else if leo < pr.log_start_offset {
            // Behind the leader's log start: start over from it.
            truncate(me, p, p.log.log_start_offset(), "behind the leader's log start offset", out);
            p.log.delete_records_before(pr.log_start_offset);
        }
        return;
    }
    // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH: wait for newer metadata.
    p.fetch_backoff_until = now.plus_ms(backoff_ms);
}

/// `AbstractFetcherThread.getOffsetTruncationState` with the leader's diverging epoch: if we know the leader's
/// epoch, truncate to where it ends on both sides; if not (KIP-279), truncate to the end of our largest epoch
/// below it and ask again with that epoch on the next fetch.
fn truncate_on_divergence(me: BrokerId, p: &mut Partition, leader: EpochEndOffset, out: &mut Effects) {
    let leo = p.log.log_end_offset();
    let target = match p.log.end_offset_for(leader.epoch) {
        Some(ours) if ours.epoch == leader.epoch => leader.end_offset.min(ours.end_offset).min(leo),
        Some(ours) => ours.end_offset.min(leo),
        // No epoch information at all: the pre-KIP-101 fallback, truncate to the high watermark.
        None => p.log.high_watermark(),
    };
    let reason = format!(
        "leader says epoch {} ends at offset {} (diverging epoch, KIP-320)",
        leader.epoch, leader.end_offset
    );
    truncate(me, p, target, &reason, out);
}

/// Kafka before 0.11 (`kafkasim.pre.kip101.truncation`): a replica that becomes a follower truncates its log to
/// its own high watermark, the rule KIP-101 replaced because that offset can be wrong both ways.
pub(crate) fn truncate_to_high_watermark(me: BrokerId, p: &mut Partition, out: &mut Effects) {
    let to = p.log.high_watermark();
    truncate(me, p, to, "pre-KIP-101 rule: a new follower truncates to its own high watermark", out);
}

fn truncate(me: BrokerId, p: &mut Partition, to: Offset, reason: &str, out: &mut Effects) {
    let from_leo = p.log.log_end_offset();
    if to >= from_leo {
        return;
    }
    p.log.truncate_to(to);
    p.rebuild_producer_state();
    if out.tracing() {
        out.trace(TraceKind::Truncated {
            broker: me,
            partition: p.name.to_string(),
            from_leo,
            to,
            reason: reason.to_string(),
        });
    }
}

/// Lets unit tests drive the divergence logic directly.
#[cfg(test)]
pub(crate) fn test_truncate_on_divergence(p: &mut Partition, leader: EpochEndOffset) {
    let mut out = Effects::new(crate::engine::trace::TraceLevel::Summary);
    truncate_on_divergence(BrokerId(0), p, leader, &mut out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::{Batch, Log, Record};
    use crate::kafka::types::{ClientId, RecordId, TopicId, Tp};

    fn log_with(epochs: &[i32]) -> Log {
        let mut log = Log::new();
        for (i, e) in epochs.iter().enumerate() {
            let rec = Record {
                key: None,
                value: None,
                value_bytes: 1,
                id: RecordId { producer: ClientId(0), seq: 0 },
            };
            log.append(Rc::new(Batch {
                base_offset: i as i64,
                epoch: *e,
                producer: None,
                append_time: SimTime::ZERO,
                size_bytes: 1,
                records: vec![rec],
            }));
        }
        log
    }

    /// KIP-279's unit case (`AbstractFetcherThreadTest.testTruncation`): follower 0:0, 1:2, 2:4 against leader
    /// 0:1, 1:3, 2:5 converges to an empty log in three rounds, where KIP-101 alone stopped at offset 2.
    #[test]
    fn kip279_iterative_truncation() {
        let leader = log_with(&[1, 3, 5]);
        let mut p =
            Partition::new(Tp { topic: TopicId(0), partition: 0 }, "t-0".into(), log_with(&[0, 2, 4]));
        let mut rounds = Vec::new();
        loop {
            let last = p.log.latest_epoch();
            let Some(last) = last else { break };
            let eo = leader.end_offset_for(last).unwrap();
            if eo.epoch == last && eo.end_offset >= p.log.log_end_offset() {
                break;
            }
            test_truncate_on_divergence(&mut p, eo);
            rounds.push(p.log.log_end_offset());
            if rounds.len() > 5 {
                panic!("did not converge: {rounds:?}");
            }
        }
        assert_eq!(rounds, vec![2, 1, 0]);
    }
}
