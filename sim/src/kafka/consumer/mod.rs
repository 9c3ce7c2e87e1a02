//! A consumer client and the application that drives it: the Java `KafkaConsumer` (classic group protocol) with
//! an application poll loop, sarama's `ConsumerGroup` and kafka-go's `Reader`, told apart by their
//! [`config::ConsumerConfig`] defaults and commit behaviour.
//!
//! The application loop: `poll()` hands over up to `max.poll.records` fetched records; the application
//! processes them (`processing.ms.per.record` each) and commits as its [`config::CommitMode`] says; then it polls
//! again. While it processes it does not poll: a rebalance waits for it, and `max.poll.interval.ms` can expire.
//! The heartbeat thread runs independently (and stops only when the whole process is paused, as in a GC stall).
//!
//! - [`membership`]: the group protocol on the client side (`AbstractCoordinator`, `ConsumerCoordinator`).
//! - [`fetching`]: positions, OffsetFetch, `auto.offset.reset` through ListOffsets, Fetch requests and the
//!   fetch buffer.
//!
//! Simplifications (stated in the book): one fetch in flight per broker; sarama's `MaxProcessingTime` pause of a
//! partition is not modelled; kafka-go's per-partition connections are one fetch per broker here.

pub mod config;
mod fetching;
mod membership;
#[cfg(test)]
mod tests;

use crate::engine::rng::uniform_inclusive;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::{Effects, Input, LazyTimer, NodeId, Timer};
use crate::kafka::assignor::{CooperativeStickyAssignor, StickyAssignor, TopicPartition};
use crate::kafka::group::protocol::{GroupRequest, GroupResponse};
use crate::kafka::log::Batch;
use crate::kafka::messages::Msg;
use crate::kafka::metadata::MetadataImage;
use crate::kafka::producer_config::ClientProfile;
use crate::kafka::types::{BrokerId, ClientId, ErrorCode, Offset, Tp};
use config::{CommitMode, ConsumerConfig};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde::Serialize;
use std::collections::VecDeque;
use std::rc::Rc;

/// `reconnect.backoff.ms` and `reconnect.backoff.max.ms` (the same in the three clients' spirit; Java's defaults).
const RECONNECT_BACKOFF_MS: u64 = 50;
const RECONNECT_BACKOFF_MAX_MS: u64 = 1_000;

/// The member's state as the client sees it (`MemberState` in `AbstractCoordinator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MemberState {
    /// Not in the group (or not a group consumer).
    Unjoined,
    /// JoinGroup sent, waiting.
    PreparingRebalance,
    /// Joined, SyncGroup sent, waiting for the assignment.
    CompletingRebalance,
    /// Has its assignment.
    Stable,
}

/// A request the consumer waits for.
#[derive(Clone, Debug)]
enum Pending {
    Metadata,
    FindCoordinator,
    Join,
    Sync,
    Heartbeat,
    Commit { offsets: Vec<(TopicPartition, Offset)>, sync: bool },
    OffsetFetch,
    ListOffsets,
    Fetch { broker: BrokerId },
    Leave,
}

/// A request in flight: what, to whom, until when.
#[derive(Clone, Debug)]
struct InFlight {
    what: Pending,
    broker: BrokerId,
    deadline: SimTime,
}

/// What the application is doing.
#[derive(Clone, Debug, PartialEq)]
enum App {
    /// In `poll()`, waiting for records (it polls continuously, so `max.poll.interval.ms` cannot expire).
    Polling,
    /// Processing records handed out at `since` until `until`; `(partition, first, last)` ranges.
    Processing { until: SimTime, since: SimTime, ranges: Vec<(Tp, Offset, Offset)> },
    /// Waiting for a synchronous commit (before processing `ranges` handed out at `since`, or after processing
    /// them when empty).
    Committing { ranges: Vec<(Tp, Offset, Offset)>, since: SimTime },
    /// In `close()`, waiting for its last commit before it leaves the group.
    Closing,
    /// Stopped: closed, crashed or failed fatally.
    Stopped,
}

/// One assigned partition's client-side state.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PartitionState {
    /// The next offset to fetch; `None` until known (OffsetFetch, then `auto.offset.reset`).
    pub position: Option<Offset>,
    /// The next offset the application has not processed yet (what a commit of processed records stores).
    pub processed: Option<Offset>,
    /// The offset last committed by this consumer.
    pub committed: Option<Offset>,
    /// The leader's high watermark in the last fetch response.
    pub high_watermark: Option<Offset>,
    /// The leader's log end offset in the last fetch response.
    pub log_end_offset: Option<Offset>,
    /// Waiting for an OffsetFetch / ListOffsets answer.
    #[serde(skip)]
    resolving: bool,
    /// Needs `auto.offset.reset` (no committed offset, or out of range).
    #[serde(skip)]
    needs_reset: bool,
    /// Don't fetch before this instant (after an error).
    #[serde(skip)]
    backoff_until: SimTime,
    /// Fetch errors in a row (the backoff grows with them).
    #[serde(skip)]
    fetch_errors: u32,
    /// Records fetched and not yet handed to the application.
    #[serde(skip)]
    buffered_records: u64,
    /// The offset the fetch in flight asked for: an answer for another position (after a seek) is dropped.
    #[serde(skip)]
    fetched_from: Option<Offset>,
    /// Since when the buffer has been over the client's capacity (sarama's feeder blocks on a full channel).
    #[serde(skip)]
    full_since: Option<SimTime>,
}

/// What a scenario declares about a consumer.
#[derive(Clone, Debug)]
pub struct ConsumerSpec {
    /// Its settings.
    pub config: ConsumerConfig,
    /// `group.id`, or none for assign().
    pub group: Option<String>,
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// Manually assigned partitions.
    pub manual: Vec<TopicPartition>,
}

/// A consumer.
#[derive(Clone, Debug)]
pub struct Consumer {
    /// Its client id.
    pub id: ClientId,
    /// Its name in the scenario (also its `client.id`).
    pub name: Rc<str>,
    /// Its settings.
    pub config: ConsumerConfig,
    /// `group.id`, or `None` for a consumer using `assign()`.
    pub group: Option<Rc<str>>,
    /// The subscribed topics (group mode).
    pub topics: Vec<String>,
    /// The manually assigned partitions (assign mode).
    pub manual: Vec<TopicPartition>,
    bootstrap: Vec<BrokerId>,
    bootstrap_cursor: usize,
    /// Seeds the jitter of its backoffs (a restarted process draws a fresh stream).
    seed: u64,
    restarts: u64,
    rng: ChaCha8Rng,
    coordinator_errors: u32,
    /// Brokers whose connection broke: no request before the instant, and how many breaks in a row.
    broker_backoff: VecMap<BrokerId, (SimTime, u32)>,
    metadata: Rc<MetadataImage>,
    metadata_due: SimTime,
    next_correlation: u64,
    in_flight: VecMap<u64, InFlight>,
    wake: LazyTimer,
    // ---- membership ----
    /// The member id the coordinator gave ("" before).
    pub member_id: String,
    /// The generation of the last join (-1 before).
    pub generation: i32,
    /// The member's state.
    pub state: MemberState,
    /// Whether it is the group's leader.
    pub is_leader: bool,
    coordinator: Option<BrokerId>,
    /// The last coordinator it knew (to say when the group has moved).
    last_coordinator: Option<BrokerId>,
    coordinator_backoff_until: SimTime,
    rejoin_needed: bool,
    join_prepared: bool,
    join_backoff_until: SimTime,
    next_heartbeat: SimTime,
    last_heartbeat_ok: SimTime,
    last_poll: SimTime,
    protocol: Option<String>,
    /// The leader's view of partition counts when it assigned (a change makes it rejoin).
    assignment_snapshot: VecMap<String, usize>,
    sticky: StickyAssignor,
    cooperative: CooperativeStickyAssignor,
    // ---- assignment and positions ----
    /// The partitions it owns, in assignment order.
    pub owned: Vec<TopicPartition>,
    /// Per-partition state of what it owns.
    pub partitions: VecMap<Tp, PartitionState>,
    buffer: VecDeque<(Tp, Rc<Batch>)>,
    // ---- application ----
    app: App,
    next_auto_commit: SimTime,
    commit_in_flight: bool,
    /// Started by the timeline (a consumer does nothing before).
    pub started: bool,
    /// Its process died (and was not restarted).
    pub crashed: bool,
    /// Records processed so far (by every process of this consumer).
    pub consumed: u64,
}

impl Consumer {
    /// A consumer that bootstraps from `bootstrap`; it starts when the timeline says so.
    pub fn new(id: ClientId, name: &str, spec: ConsumerSpec, bootstrap: Vec<BrokerId>, seed: u64) -> Self {
        Self {
            id,
            name: Rc::from(name),
            config: spec.config,
            group: spec.group.map(|g| Rc::from(g.as_str())),
            topics: spec.topics,
            manual: spec.manual,
            bootstrap,
            bootstrap_cursor: 0,
            seed,
            restarts: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            coordinator_errors: 0,
            broker_backoff: VecMap::new(),
            metadata: Rc::new(MetadataImage::default()),
            metadata_due: SimTime::ZERO,
            next_correlation: 0,
            in_flight: VecMap::new(),
            wake: LazyTimer::default(),
            member_id: String::new(),
            generation: -1,
            state: MemberState::Unjoined,
            is_leader: false,
            coordinator: None,
            last_coordinator: None,
            coordinator_backoff_until: SimTime::ZERO,
            rejoin_needed: true,
            join_prepared: false,
            join_backoff_until: SimTime::ZERO,
            next_heartbeat: SimTime::NEVER,
            last_heartbeat_ok: SimTime::ZERO,
            last_poll: SimTime::ZERO,
            protocol: None,
            assignment_snapshot: VecMap::new(),
            sticky: StickyAssignor::default(),
            cooperative: CooperativeStickyAssignor::default(),
            owned: Vec::new(),
            partitions: VecMap::new(),
            buffer: VecDeque::new(),
            app: App::Stopped,
            next_auto_commit: SimTime::NEVER,
            commit_in_flight: false,
            started: false,
            crashed: false,
            consumed: 0,
        }
    }

    /// A new process with the same settings (after a crash), not started.
    pub fn fresh(&self) -> Consumer {
        let spec = ConsumerSpec {
            config: self.config.clone(),
            group: self.group.as_deref().map(str::to_string),
            topics: self.topics.clone(),
            manual: self.manual.clone(),
        };
        let restarts = self.restarts + 1;
        let mut c = Consumer::new(self.id, &self.name, spec, self.bootstrap.clone(), self.seed);
        c.restarts = restarts;
        c.consumed = self.consumed;
        c.rng = ChaCha8Rng::seed_from_u64(self.seed ^ restarts.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        c
    }

    /// The backoff after the `attempt`-th failure in a row, as each client computes it: Java grows
    /// `retry.backoff.ms` exponentially to `retry.backoff.max.ms` with ±20 % jitter (KIP-580); kafka-go grows
    /// `ReadBackoffMin` with the square of the attempt up to `ReadBackoffMax`; sarama waits a fixed time.
    pub(super) fn backoff_ms(&mut self, base: u64, max: u64, attempt: u32) -> u64 {
        let attempt = attempt.max(1);
        match self.config.client {
            ClientProfile::Sarama => base,
            ClientProfile::KafkaGo => base.saturating_mul(u64::from(attempt).pow(2)).min(max.max(base)),
            ClientProfile::Java => {
                let exp = base.saturating_mul(1u64 << (attempt - 1).min(20)).min(max.max(base));
                if exp == 0 || max <= base {
                    return exp;
                }
                let jitter = uniform_inclusive(&mut self.rng, 0, 400) as i64 - 200; // per mille: ±20 %
                (exp as i64 + exp as i64 * jitter / 1000).max(0) as u64
            }
        }
    }

    /// The group name for traces ("" for an assign() consumer).
    fn group_name(&self) -> String {
        self.group.as_deref().unwrap_or("").to_string()
    }

    /// `subscribe()`/`assign()` and the first `poll()`: the consumer starts.
    pub fn start(&mut self, now: SimTime, out: &mut Effects) {
        if self.is_running() {
            // Already polling: subscribing again to the same topics changes nothing.
            return;
        }
        self.started = true;
        self.crashed = false;
        self.app = App::Polling;
        self.last_poll = now;
        self.last_heartbeat_ok = now;
        self.metadata_due = now;
        self.next_auto_commit = now.plus_ms(self.config.auto_commit_interval_ms.max(1));
        if self.group.is_none() {
            self.owned = self.manual.clone();
        }
        if self.config.read_committed {
            out.trace(TraceKind::ConsumerNote {
                consumer: self.name.to_string(),
                message:
                    "isolation.level=read_committed: no transactions are simulated, so it sees exactly the \
                          records read_uncommitted sees (up to the high watermark)"
                        .into(),
            });
        }
        self.drive(now, out);
    }

    /// `close()`: commit (auto-commit) and leave the group; the process then stops.
    pub fn close(&mut self, now: SimTime, out: &mut Effects) {
        if matches!(self.app, App::Stopped | App::Closing) {
            return;
        }
        // The Java client commits synchronously first (maybeAutoCommitOffsetsSync, bounded by the close
        // timeout), then leaves; records the application was still processing are not committed.
        if self.auto_commits() && self.state == MemberState::Stable && self.send_commit(now, true, out) {
            self.app = App::Closing;
            return;
        }
        self.finish_close(now, out);
    }

    /// The end of `close()`: LeaveGroup, then the process stops.
    fn finish_close(&mut self, now: SimTime, out: &mut Effects) {
        // Only dynamic members send LeaveGroup; a static member leaves by session expiry or admin removal
        // ([AC]:1164-1188), which is why static members use long session timeouts.
        if self.group.is_some()
            && self.state != MemberState::Unjoined
            && self.config.group_instance_id.is_none()
        {
            self.send_leave(now, "close()", out);
        }
        self.stop(out, "close() was called");
    }

    fn stop(&mut self, out: &mut Effects, reason: &str) {
        self.app = App::Stopped;
        self.state = MemberState::Unjoined;
        if self.group.is_some() {
            out.trace(TraceKind::ConsumerLeft {
                consumer: self.name.to_string(),
                group: self.group_name(),
                reason: reason.to_string(),
            });
        }
    }

    /// The application moves its position in `topic-partition`, as its client allows: Java `seek()` works on an
    /// assigned partition (group or not) and throws `IllegalStateException` on any other; kafka-go's `SetOffset`
    /// is refused on a reader with a `GroupID` (`errNotAvailableWithGroup`); sarama's `ResetOffset` only changes
    /// the offset the group will commit next, not the running claim's position.
    pub fn seek(&mut self, _now: SimTime, topic: &str, partition: u32, offset: Offset, out: &mut Effects) {
        if self.app == App::Stopped {
            return;
        }
        let name = format!("{topic}-{partition}");
        let tp = self.tp_of(&TopicPartition::new(topic, partition as i32));
        let owned = tp.filter(|t| self.partitions.contains_key(t));
        let error = |error: &str, message: String| TraceKind::ConsumerError {
            consumer: self.name.to_string(),
            error: error.to_string(),
            message,
        };
        match (self.config.client, self.group.is_some(), owned) {
            (ClientProfile::KafkaGo, true, _) => out.trace(error(
                "errNotAvailableWithGroup",
                format!(
                    "SetOffset({offset}) on {name}: \"unavailable when GroupID is set\"; a group reader starts from \
                     the committed offset, so move the group's offset instead (CommitMessages, or reset it while \
                     the group is empty)"
                ),
            )),
            (ClientProfile::Sarama, true, Some(t)) => {
                let p = self.partitions.get_mut(&t).expect("owned");
                p.processed = Some(offset);
                out.trace(TraceKind::ConsumerNote {
                    consumer: self.name.to_string(),
                    message: format!(
                        "ResetOffset({name}, {offset}): the next commit stores {offset}; the claim keeps reading \
                         from {}; the new offset takes effect at the next session",
                        p.position.map_or("its position".to_string(), |x| x.to_string())
                    ),
                });
            }
            (ClientProfile::Sarama, false, _) => out.trace(error(
                "unsupported",
                format!("sarama's PartitionConsumer for {name} has no seek: close it and ConsumePartition again at {offset}"),
            )),
            (_, _, None) => out.trace(error(
                "IllegalStateException",
                format!("No current assignment for partition {name}: seek() works only on assigned partitions"),
            )),
            (_, _, Some(t)) => {
                let p = self.partitions.get_mut(&t).expect("owned");
                let from = p.position;
                p.position = Some(offset);
                p.needs_reset = false;
                self.buffer.retain(|(b, _)| *b != t);
                let p = self.partitions.get_mut(&t).expect("owned");
                p.buffered_records = 0;
                p.full_since = None;
                out.trace(TraceKind::Seeked {
                    consumer: self.name.to_string(),
                    group: self.group_name(),
                    partition: name,
                    from,
                    to: offset,
                });
            }
        }
    }

    /// Whether the consumer runs.
    pub fn is_running(&self) -> bool {
        self.app != App::Stopped
    }

    /// The single entry point.
    pub fn handle(&mut self, now: SimTime, input: Input, out: &mut Effects) {
        if self.app == App::Stopped {
            return;
        }
        match input {
            Input::Message { msg, .. } => match msg {
                Msg::MetadataResponse { correlation, image }
                    if self.in_flight.remove(&correlation).is_some()
                        && image.version >= self.metadata.version =>
                {
                    self.metadata = image;
                    self.on_metadata(now, out);
                }
                Msg::GroupResponse { correlation, resp } => {
                    if let Some(f) = self.in_flight.remove(&correlation) {
                        self.on_response(now, f, *resp, out);
                    }
                }
                Msg::FetchResponse(resp) => {
                    if let Some(f) = self.in_flight.remove(&resp.correlation) {
                        self.broker_backoff.remove(&f.broker);
                        self.on_fetch_response(now, f.broker, &resp, out);
                    }
                }
                Msg::Disconnected { broker } => self.on_disconnect(now, broker, out),
                _ => {}
            },
            Input::Timer(Timer::ClientWake) => {
                if !self.wake.fire(now) {
                    return;
                }
                self.expire_requests(now, out);
            }
            Input::Timer(_) => {}
        }
        self.drive(now, out);
    }

    fn on_response(&mut self, now: SimTime, f: InFlight, resp: GroupResponse, out: &mut Effects) {
        match (f.what, resp) {
            (Pending::FindCoordinator, GroupResponse::FindCoordinator { result }) => {
                self.on_find_coordinator(now, result, out)
            }
            (Pending::Join, GroupResponse::JoinGroup { result, member_id }) => {
                self.on_join_response(now, result, member_id, out)
            }
            (Pending::Sync, GroupResponse::SyncGroup { result }) => self.on_sync_response(now, result, out),
            (Pending::Heartbeat, GroupResponse::Heartbeat { error }) => {
                self.on_heartbeat_response(now, error, out)
            }
            (Pending::Commit { offsets, sync }, GroupResponse::OffsetCommit { result }) => {
                self.on_commit_response(now, offsets, sync, result, out)
            }
            (Pending::OffsetFetch, GroupResponse::OffsetFetch { result }) => {
                self.on_offset_fetch(now, f.broker, result, out)
            }
            (Pending::ListOffsets, GroupResponse::ListOffsets { partitions }) => {
                self.on_list_offsets(now, partitions, out)
            }
            _ => {}
        }
    }

    /// A connection broke (or could not be made): what was in flight on it fails; the client backs off before
    /// connecting to that broker again (`reconnect.backoff.ms`, growing to `reconnect.backoff.max.ms`) and refreshes
    /// its metadata, since "the disconnect may be the result of stale metadata"
    /// (`NetworkClient.DefaultMetadataUpdater.handleServerDisconnect`).
    fn on_disconnect(&mut self, now: SimTime, broker: BrokerId, out: &mut Effects) {
        let broken: Vec<u64> =
            self.in_flight.iter().filter(|(_, f)| f.broker == broker).map(|(c, _)| *c).collect();
        for c in broken {
            let f = self.in_flight.remove(&c).expect("listed");
            self.on_request_failed(now, f, ErrorCode::NETWORK_EXCEPTION, out);
        }
        let attempts = self.broker_backoff.get(&broker).map_or(0, |(_, n)| *n) + 1;
        let wait = self.backoff_ms(RECONNECT_BACKOFF_MS, RECONNECT_BACKOFF_MAX_MS, attempts);
        self.broker_backoff.insert(broker, (now.plus_ms(wait), attempts));
        self.metadata_due = self.metadata_due.min(now);
    }

    /// Whether the client may talk to `broker` now (not backing off after a broken connection).
    pub(super) fn reachable(&self, now: SimTime, broker: BrokerId) -> bool {
        self.broker_backoff.get(&broker).is_none_or(|(until, _)| *until <= now)
    }

    fn expire_requests(&mut self, now: SimTime, out: &mut Effects) {
        let late: Vec<u64> =
            self.in_flight.iter().filter(|(_, f)| f.deadline <= now).map(|(c, _)| *c).collect();
        for c in late {
            let f = self.in_flight.remove(&c).expect("listed");
            self.on_request_failed(now, f, ErrorCode::REQUEST_TIMED_OUT, out);
        }
    }

    /// A request got no answer (timeout or broken connection).
    fn on_request_failed(&mut self, now: SimTime, f: InFlight, e: ErrorCode, out: &mut Effects) {
        match f.what {
            Pending::Metadata | Pending::ListOffsets | Pending::OffsetFetch => {
                for p in self.partitions.values_mut() {
                    p.resolving = false;
                }
                if matches!(f.what, Pending::Metadata) {
                    self.metadata_due = self.metadata_due.min(now.plus_ms(self.config.retry_backoff_ms));
                }
            }
            Pending::Fetch { .. } => {}
            Pending::Leave => {}
            Pending::Commit { offsets, sync } => {
                self.coordinator_unknown(now);
                self.on_commit_response(now, offsets, sync, Err(ErrorCode::COORDINATOR_NOT_AVAILABLE), out);
            }
            Pending::FindCoordinator | Pending::Join | Pending::Sync | Pending::Heartbeat => {
                self.coordinator_unknown(now);
                if matches!(f.what, Pending::Join | Pending::Sync) {
                    self.state = MemberState::Unjoined;
                    self.rejoin_needed = true;
                }
            }
        }
        let _ = e;
    }

    fn send(
        &mut self,
        now: SimTime,
        broker: BrokerId,
        what: Pending,
        msg: impl FnOnce(u64) -> Msg,
        out: &mut Effects,
    ) -> u64 {
        self.next_correlation += 1;
        let c = self.next_correlation;
        let timeout = match what {
            // The JoinGroup request timeout is max(request.timeout.ms, rebalance timeout + 5 s) ([AC]:620-627).
            Pending::Join => self.config.request_timeout_ms.max(self.config.rebalance_timeout_ms + 5_000),
            Pending::Fetch { .. } => self.config.request_timeout_ms + self.config.fetch_max_wait_ms,
            _ => self.config.request_timeout_ms,
        };
        self.in_flight.insert(c, InFlight { what, broker, deadline: now.plus_ms(timeout) });
        out.send(NodeId::Broker(broker), msg(c));
        c
    }

    fn send_group(
        &mut self,
        now: SimTime,
        broker: BrokerId,
        what: Pending,
        req: GroupRequest,
        out: &mut Effects,
    ) {
        self.send(now, broker, what, |correlation| Msg::Group { correlation, req: Box::new(req) }, out);
    }

    fn has_in_flight(&self, f: impl Fn(&Pending) -> bool) -> bool {
        self.in_flight.values().any(|x| f(&x.what))
    }

    // ---- The main loop ----

    /// Does whatever is due: metadata, coordinator, heartbeats, the rebalance, positions, fetches and the
    /// application; then arms the wake-up timer for the next deadline.
    fn drive(&mut self, now: SimTime, out: &mut Effects) {
        if self.app == App::Stopped {
            return;
        }
        if self.app == App::Closing {
            // close() waits for its commit only (or for the request to time out).
            return self.arm_wake(now, out);
        }
        self.maybe_refresh_metadata(now, out);
        if self.group.is_some() {
            self.heartbeat_thread(now, out);
            if self.app == App::Stopped {
                return;
            }
        }
        self.finish_due_processing(now, out);
        if self.app == App::Polling {
            self.poll(now, out);
        }
        self.update_positions(now, out);
        // poll() returns what is buffered, then sends the next fetches for the partitions it emptied, before the
        // application processes the records (ClassicKafkaConsumer.poll: "send any new fetches ... before
        // returning").
        if self.app == App::Polling {
            self.hand_out_records(now, out);
        }
        self.send_fetches(now, out);
        self.arm_wake(now, out);
    }

    /// The application is in `poll()`: the poll timer restarts, and the coordinator does what is due — the
    /// auto-commit, and the rebalance when one is needed (`ConsumerCoordinator.poll`, [CC]:470-541).
    fn poll(&mut self, now: SimTime, out: &mut Effects) {
        self.last_poll = now;
        if self.group.is_some() {
            self.maybe_auto_commit(now, out);
            self.ensure_active_group(now, out);
        }
    }

    /// Arms the wake-up timer for the earliest future deadline (whatever was due has just been handled, or waits
    /// for an answer).
    fn arm_wake(&mut self, now: SimTime, out: &mut Effects) {
        let mut next = SimTime::NEVER;
        let mut take = |t: SimTime| {
            if t > now {
                next = next.min(t)
            }
        };
        take(self.metadata_due);
        self.broker_backoff.values().for_each(|(t, _)| take(*t));
        self.in_flight.values().for_each(|f| take(f.deadline));
        if self.group.is_some() {
            if matches!(self.state, MemberState::Stable | MemberState::CompletingRebalance) {
                take(self.next_heartbeat);
                if let Some(max) = self.config.max_poll_interval_ms {
                    if self.app != App::Polling {
                        take(self.last_poll.plus_ms(max) + 1);
                    }
                }
            }
            take(self.coordinator_backoff_until);
            take(self.join_backoff_until);
            if self.auto_commits() {
                take(self.next_auto_commit);
            }
        }
        if let App::Processing { until, .. } = self.app {
            take(until);
        }
        self.partitions
            .values()
            .filter(|p| p.backoff_until > SimTime::ZERO)
            .for_each(|p| take(p.backoff_until));
        if let Some(t) = self.next_fetch_release(now) {
            take(t);
        }
        if next < SimTime::NEVER {
            self.wake.arm(next, Timer::ClientWake, out);
        }
    }

    // ---- The application ----

    /// The application finished the records `poll()` gave it: they count as processed, and it commits if its
    /// mode says so; then it calls `poll()` again.
    fn finish_due_processing(&mut self, now: SimTime, out: &mut Effects) {
        let App::Processing { until, .. } = &self.app else { return };
        if *until > now {
            return;
        }
        let App::Processing { ranges, since, .. } = std::mem::replace(&mut self.app, App::Polling) else {
            unreachable!("matched above")
        };
        self.finish_processing(now, since, ranges, out);
    }

    /// `poll()` returns what is buffered (up to `max.poll.records`) for partitions it still owns; an eager member
    /// in a rebalance owns none, a cooperative one keeps consuming what it keeps.
    fn hand_out_records(&mut self, now: SimTime, out: &mut Effects) {
        let ranges = self.take_records();
        if ranges.is_empty() {
            return;
        }
        if self.marks_on_read() && self.group.is_some() {
            // kafka-go ReadMessage: the message counts as done when it is read, before the application sees it;
            // with CommitInterval 0 the commit is synchronous, before ReadMessage returns.
            for (tp, _, last) in &ranges {
                if let Some(p) = self.partitions.get_mut(tp) {
                    p.processed = Some(last + 1);
                }
            }
            if self.config.commit == CommitMode::BeforeProcess && self.send_commit(now, true, out) {
                self.app = App::Committing { ranges, since: now };
                return;
            }
        }
        self.begin_processing(now, now, ranges);
    }

    fn begin_processing(&mut self, now: SimTime, since: SimTime, ranges: Vec<(Tp, Offset, Offset)>) {
        let n: u64 = ranges.iter().map(|(_, a, b)| (b - a + 1) as u64).sum();
        let until = now + n.saturating_mul(self.config.processing_us_per_record);
        self.app = App::Processing { until, since, ranges };
    }

    /// The application is done with a batch: the records count as delivered, and it commits if its mode says so.
    fn finish_processing(
        &mut self,
        now: SimTime,
        since: SimTime,
        ranges: Vec<(Tp, Offset, Offset)>,
        out: &mut Effects,
    ) {
        for (tp, first, last) in &ranges {
            self.consumed += (last - first + 1) as u64;
            out.trace(TraceKind::Consumed {
                consumer: self.name.to_string(),
                group: self.group_name(),
                partition: self.metadata.tp_name(*tp),
                from: *first,
                to: *last,
                generation: self.generation,
                polled_at: since,
            });
            let marks_on_read = self.marks_on_read();
            if let Some(p) = self.partitions.get_mut(tp) {
                if !marks_on_read {
                    p.processed = Some(p.processed.map_or(last + 1, |x| x.max(last + 1)));
                }
            }
        }
        if self.group.is_none() {
            return;
        }
        #[allow(clippy::collapsible_match)] // the guard would have to borrow `self` mutably
        match self.config.commit {
            CommitMode::Sync => {
                if self.send_commit(now, true, out) {
                    self.app = App::Committing { ranges: Vec::new(), since: now };
                }
            }
            CommitMode::Async => {
                self.send_commit(now, false, out);
            }
            _ => {}
        }
    }

    /// Auto-commit from `poll()` when `auto.commit.interval.ms` has passed (Java commits the position after
    /// the records it returned, which the application has processed by the time it polls again; sarama commits
    /// the offsets marked after processing).
    fn maybe_auto_commit(&mut self, now: SimTime, out: &mut Effects) {
        if !self.auto_commits() || now < self.next_auto_commit {
            return;
        }
        self.next_auto_commit = now.plus_ms(self.config.auto_commit_interval_ms.max(1));
        if !self.commit_in_flight {
            self.send_commit(now, false, out);
        }
    }

    /// Sends an OffsetCommit of the processed positions that moved since the last commit. Returns whether one
    /// was sent. The client commits only as a Stable member ([CC]:1265-1288).
    fn send_commit(&mut self, now: SimTime, sync: bool, out: &mut Effects) -> bool {
        let Some(group) = self.group.clone() else { return false };
        let offsets: Vec<(TopicPartition, Offset)> = self
            .partitions
            .iter()
            .filter_map(|(tp, p)| match p.processed {
                Some(o) if p.committed != Some(o) => Some((self.topic_partition(*tp)?, o)),
                _ => None,
            })
            .collect();
        if offsets.is_empty() {
            return false;
        }
        if self.state != MemberState::Stable {
            // Failed in the client, never sent ([CC]:1265-1288).
            let (error, reason) = if self.state == MemberState::Unjoined {
                (
                    ErrorCode::UNKNOWN_MEMBER_ID,
                    "CommitFailedException, not sent: the consumer is not part of an active group (it was removed \
                     or left); what it processed since its last commit will be processed again",
                )
            } else {
                (
                    ErrorCode::REBALANCE_IN_PROGRESS,
                    "RebalanceInProgressException, not sent: the consumer is rejoining",
                )
            };
            out.trace(TraceKind::CommitFailed {
                consumer: self.name.to_string(),
                group: self.group_name(),
                error,
                reason: reason.into(),
            });
            return false;
        }
        let Some(coordinator) = self.coordinator else { return false };
        self.commit_in_flight = true;
        let member = self.member_ref();
        let req = GroupRequest::OffsetCommit {
            group,
            member,
            offsets: offsets.clone(),
            client_id: Rc::clone(&self.name),
        };
        self.send_group(now, coordinator, Pending::Commit { offsets, sync }, req, out);
        true
    }

    fn on_commit_response(
        &mut self,
        now: SimTime,
        offsets: Vec<(TopicPartition, Offset)>,
        sync: bool,
        result: Result<Vec<(TopicPartition, Offset)>, ErrorCode>,
        out: &mut Effects,
    ) {
        self.commit_in_flight = false;
        match result {
            Ok(done) => {
                for (tp, o) in done {
                    if let Some(t) = self.tp_of(&tp) {
                        if let Some(p) = self.partitions.get_mut(&t) {
                            p.committed = Some(o);
                        }
                    }
                }
            }
            Err(e) => {
                let reason = match e {
                    ErrorCode::ILLEGAL_GENERATION | ErrorCode::UNKNOWN_MEMBER_ID => {
                        "CommitFailedException: the group has rebalanced and assigned the partitions to another \
                         member; this member's work since its last commit will be redone"
                    }
                    ErrorCode::REBALANCE_IN_PROGRESS => "RebalanceInProgressException: rejoin first",
                    _ => "retriable: the coordinator is unavailable",
                };
                out.trace(TraceKind::CommitFailed {
                    consumer: self.name.to_string(),
                    group: self.group_name(),
                    error: e,
                    reason: reason.into(),
                });
                self.on_group_error(now, e, out);
                let _ = offsets;
            }
        }
        if self.app == App::Closing {
            return self.finish_close(now, out);
        }
        if sync && matches!(self.app, App::Committing { .. }) {
            if let App::Committing { ranges, since } = std::mem::replace(&mut self.app, App::Polling) {
                if !ranges.is_empty() {
                    self.begin_processing(now, since, ranges);
                }
            }
        }
    }

    // ---- Helpers ----

    /// Whether commits happen in the background every `auto.commit.interval.ms`.
    pub(super) fn auto_commits(&self) -> bool {
        matches!(self.config.commit, CommitMode::Auto | CommitMode::AutoOnRead)
    }

    /// Whether a record counts as done when it is read rather than when it is processed (kafka-go ReadMessage).
    fn marks_on_read(&self) -> bool {
        matches!(self.config.commit, CommitMode::BeforeProcess | CommitMode::AutoOnRead)
    }

    fn topic_partition(&self, tp: Tp) -> Option<TopicPartition> {
        let t = self.metadata.topics.get(&tp.topic)?;
        Some(TopicPartition::new(t.name.clone(), tp.partition as i32))
    }

    fn tp_of(&self, tp: &TopicPartition) -> Option<Tp> {
        let t = self.metadata.topic_by_name(&tp.topic)?;
        ((tp.partition as usize) < t.partitions.len())
            .then_some(Tp { topic: t.id, partition: tp.partition as u32 })
    }

    /// Records handed to the application and not processed yet, as (partition, first, last): a commit may
    /// already cover them (kafka-go's `ReadMessage` commits before the application sees the message).
    pub fn records_in_progress(&self) -> Vec<(String, Offset, Offset)> {
        let ranges = match &self.app {
            App::Processing { ranges, .. } | App::Committing { ranges, .. } => ranges.as_slice(),
            App::Polling | App::Closing | App::Stopped => &[],
        };
        ranges.iter().map(|(tp, a, b)| (self.metadata.tp_name(*tp), *a, *b)).collect()
    }

    /// The partitions it believes it owns, as `topic-N`.
    pub fn owned_names(&self) -> Vec<String> {
        self.owned.iter().map(ToString::to_string).collect()
    }

    /// Every owned partition's name and client-side state.
    pub fn partition_states(&self) -> impl Iterator<Item = (String, &PartitionState)> + '_ {
        self.partitions.iter().map(|(tp, p)| (self.metadata.tp_name(*tp), p))
    }
}
