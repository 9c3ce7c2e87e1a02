//! A broker node: registers and heartbeats to the controller, applies metadata (becoming leader or follower of
//! its replicas), appends produce requests, serves fetches (holding them in purgatory until there is data),
//! proposes ISR changes, and runs one replica fetcher per leader it follows (`fetcher.rs`).

use super::config::BrokerConfig;
use super::log::Log;
use super::messages::{
    unshared_or, FetchPartitionResponse, FetchRequest, FetchResponse, Msg, ProduceRequest,
};
use super::metadata::MetadataImage;
use super::partition::{Appended, Partition, Role};
use super::tp_map::TpMap;
use super::types::{BrokerId, ErrorCode, Offset, Tp};
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::{VecMap, VecSet};
use crate::engine::{Effects, Input, LazyTimer, NodeId, Timer};
use std::rc::Rc;

/// What survives a broker crash: its logs (with their checkpointed high watermarks).
#[derive(Clone, Debug, Default)]
pub struct BrokerStorage {
    /// One log per hosted partition, with the partition's display name.
    pub logs: VecMap<Tp, (Rc<str>, Log)>,
}

/// How many of `batches` fit in `limit` bytes; with `min_one`, the first always counts (KIP-74).
fn batches_within(batches: &[Rc<super::log::Batch>], limit: u64, min_one: bool) -> usize {
    let mut total = 0u64;
    let mut n = 0;
    for b in batches {
        total += u64::from(b.size_bytes);
        if total > limit && !(min_one && n == 0) {
            break;
        }
        n += 1;
    }
    n
}

/// `Partition.checkEnoughReplicasReachOffset`: done once the HW covers the batch; an error if by then the ISR is
/// smaller than `min.insync.replicas`.
fn produce_outcome(partitions: &TpMap<Partition>, held: &HeldProduce) -> Option<Result<Offset, ErrorCode>> {
    let p = partitions.get(&held.tp)?;
    if !p.is_leader() {
        return Some(Err(ErrorCode::NOT_LEADER_OR_FOLLOWER));
    }
    if p.log.high_watermark() < held.required_offset {
        return None;
    }
    if p.maximal_isr_len() < p.min_insync_replicas {
        Some(Err(ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND))
    } else {
        Some(Ok(held.base_offset))
    }
}

/// A fetch held in purgatory until data arrives or `max_wait_ms` passes (`DelayedFetch`).
#[derive(Clone, Debug)]
struct HeldFetch {
    from: NodeId,
    request: Rc<FetchRequest>,
    /// When it is answered with whatever there is (`max_wait_ms` after it arrived).
    deadline: SimTime,
}

/// An acks=all produce waiting for the high watermark (`DelayedProduce`).
#[derive(Clone, Copy, Debug)]
struct HeldProduce {
    tp: Tp,
    base_offset: Offset,
    required_offset: Offset,
    deadline: SimTime,
}

/// A broker.
#[derive(Clone, Debug)]
pub struct Broker {
    /// Its id.
    pub id: BrokerId,
    /// Its rack.
    pub rack: Option<String>,
    /// Increases with every restart, so the controller can tell a new process from an old one.
    pub incarnation: u64,
    pub(crate) config: Rc<BrokerConfig>,
    pub(crate) fetch_settings: super::fetcher::FetchSettings,
    /// The latest metadata it has applied.
    pub image: Rc<MetadataImage>,
    /// Its replicas.
    pub partitions: TpMap<Partition>,
    /// Asked to shut down in a controlled way: waiting for the controller to move leadership away.
    pub want_shutdown: bool,
    pub(crate) fetchers: VecMap<BrokerId, super::fetcher::FetcherState>,
    held_fetches: VecMap<(NodeId, u64), HeldFetch>,
    held_produces: VecMap<(NodeId, u64), HeldProduce>,
    /// The fetch response last sent to each fetcher, reused once the fetcher has handled it.
    fetch_response_buffers: VecMap<NodeId, Rc<FetchResponse>>,
    /// When the single produce-expiry timer fires, if armed (one timer for all held produces).
    produce_timer: LazyTimer,
    /// When the single fetch-expiry timer fires, if armed (one timer for all held fetches).
    fetch_timer: LazyTimer,
    pub(crate) next_correlation: u64,
    /// The group coordinator for the `__consumer_offsets` partitions this broker leads.
    pub group_side: super::group::broker_side::CoordinatorSide,
}

impl Broker {
    /// A broker process starting with the logs that survived on its disk.
    pub fn new(
        id: BrokerId,
        rack: Option<String>,
        incarnation: u64,
        config: Rc<BrokerConfig>,
        storage: BrokerStorage,
    ) -> Self {
        let partitions =
            storage.logs.into_iter().map(|(tp, (name, log))| (tp, Partition::new(tp, name, log))).collect();
        Self {
            id,
            rack,
            incarnation,
            fetch_settings: super::fetcher::FetchSettings::new(&config),
            config,
            image: Rc::new(MetadataImage::default()),
            partitions,
            want_shutdown: false,
            fetchers: VecMap::new(),
            held_fetches: VecMap::new(),
            held_produces: VecMap::new(),
            fetch_response_buffers: VecMap::new(),
            produce_timer: LazyTimer::default(),
            fetch_timer: LazyTimer::default(),
            next_correlation: 0,
            group_side: Default::default(),
        }
    }

    /// What a crash leaves behind.
    pub fn into_storage(self) -> BrokerStorage {
        BrokerStorage {
            logs: VecMap::from_iter(self.partitions.into_iter().map(|(tp, p)| (tp, (p.name, p.log)))),
        }
    }

    /// Starts the process: register with the controller and start heartbeating.
    pub fn start(&mut self, now: SimTime, out: &mut Effects) {
        out.send(
            NodeId::Controller,
            Msg::BrokerRegistration {
                broker: self.id,
                rack: self.rack.clone(),
                incarnation: self.incarnation,
            },
        );
        out.timer(now.plus_ms(self.config.ms("broker.heartbeat.interval.ms")), Timer::BrokerHeartbeat);
        out.timer(now.plus_ms(self.isr_check_interval_ms()), Timer::IsrCheck);
    }

    /// Asks for a controlled shutdown: the controller moves leadership away, then the broker stops.
    pub fn request_shutdown(&mut self, out: &mut Effects) {
        self.want_shutdown = true;
        self.send_heartbeat(out);
    }

    fn isr_check_interval_ms(&self) -> u64 {
        // ReplicaManager schedules isr-expiration at half of replica.lag.time.max.ms.
        (self.config.ms("replica.lag.time.max.ms") / 2).max(1)
    }

    /// The single entry point: one input, its effects.
    pub fn handle(&mut self, now: SimTime, input: Input, out: &mut Effects) {
        match input {
            Input::Message { from, msg } => self.on_message(now, from, msg, out),
            Input::Timer(t) => self.on_timer(now, t, out),
        }
    }

    fn on_message(&mut self, now: SimTime, from: NodeId, msg: Msg, out: &mut Effects) {
        match msg {
            Msg::MetadataUpdate(image) => self.apply_metadata(now, image, out),
            Msg::BrokerHeartbeatResponse { shutdown_ready } if self.want_shutdown && shutdown_ready => {
                out.stop = true
            }
            Msg::Produce(req) => self.on_produce(now, from, req, out),
            Msg::Fetch(req) => self.on_fetch(now, from, req, out),
            Msg::FetchResponse(resp) => {
                if let NodeId::Broker(leader) = from {
                    self.on_fetch_response(now, leader, &resp, out);
                }
            }
            Msg::AlterPartitionResponse { tp, result } => {
                self.on_alter_partition_response(now, tp, result, out)
            }
            Msg::MetadataRequest { correlation } => {
                out.send(from, Msg::MetadataResponse { correlation, image: Rc::clone(&self.image) })
            }
            Msg::AdminRequest { correlation, op } => {
                let result = super::admin_broker::handle(self, now, &op, out);
                out.send(from, Msg::AdminResponse { correlation, result });
            }
            Msg::AdminResponse { result, .. } => self.on_offsets_topic_created(&result, out),
            Msg::Group { correlation, req } => self.on_group_request(now, from, correlation, *req, out),
            _ => {}
        }
    }

    fn on_timer(&mut self, now: SimTime, timer: Timer, out: &mut Effects) {
        match timer {
            Timer::BrokerHeartbeat => {
                self.send_heartbeat(out);
                out.timer(
                    now.plus_ms(self.config.ms("broker.heartbeat.interval.ms")),
                    Timer::BrokerHeartbeat,
                );
            }
            Timer::IsrCheck => {
                self.maybe_shrink_isr(now, out);
                out.timer(now.plus_ms(self.isr_check_interval_ms()), Timer::IsrCheck);
            }
            Timer::FetchExpire => self.expire_held_fetches(now, out),
            Timer::ProduceExpire => self.expire_held_produces(now, out),
            Timer::FetcherWake { leader, generation } => self.on_fetcher_wake(now, leader, generation, out),
            Timer::FetchTimeout { leader } => self.on_fetch_timeout(now, leader, out),
            Timer::GroupCoordinator => self.on_coordinator_timer(now, out),
            Timer::OffsetsRetention => self.on_offsets_retention(now, out),
            _ => {}
        }
    }

    fn send_heartbeat(&self, out: &mut Effects) {
        out.send(
            NodeId::Controller,
            Msg::BrokerHeartbeat {
                broker: self.id,
                incarnation: self.incarnation,
                want_shutdown: self.want_shutdown,
            },
        );
    }

    /// Applies a metadata image: new replicas are created, roles change where the leader epoch moved, committed
    /// ISR changes are taken, and replicas of deleted topics are removed.
    fn apply_metadata(&mut self, now: SimTime, image: Rc<MetadataImage>, out: &mut Effects) {
        if image.version <= self.image.version {
            return;
        }
        self.image = image;
        let image = Rc::clone(&self.image);
        let mut mine = Vec::new();
        for (tp, meta) in image.partitions() {
            if meta.replicas.contains(&self.id) {
                mine.push(tp);
                self.apply_partition(now, tp, meta, out);
            }
        }
        let mine = VecSet::from_iter(mine);
        let gone: Vec<Tp> = self.partitions.keys().filter(|tp| !mine.contains(tp)).copied().collect();
        for tp in gone {
            self.partitions.remove(&tp);
        }
        self.fail_held_requests_not_led(now, out);
        self.refresh_fetchers(now, out);
        self.sync_coordinator_shards(now, out);
    }

    fn apply_partition(
        &mut self,
        now: SimTime,
        tp: Tp,
        meta: &super::metadata::PartitionMeta,
        out: &mut Effects,
    ) {
        let me = self.id;
        let name: Rc<str> = self.image.tp_name(tp).into();
        let p = self.partitions.get_or_insert_with(tp, || Partition::new(tp, Rc::clone(&name), Log::new()));
        if let Some(t) = self.image.topics.get(&tp.topic) {
            // Topic configs are dynamic: every metadata image may change them.
            p.max_message_bytes = t.config.max_message_bytes(&self.config);
            p.min_insync_replicas = t.config.min_insync_replicas(&self.config);
        }
        let new_epoch = meta.leader_epoch > p.leader_epoch;
        if meta.leader == Some(me) && (new_epoch || !p.is_leader()) {
            p.become_leader(me, meta, now);
            out.trace(TraceKind::BecomeLeader {
                broker: me,
                partition: name.to_string(),
                leader_epoch: meta.leader_epoch,
                log_end_offset: p.log.log_end_offset(),
            });
            self.maybe_advance_hw(now, tp, out);
        } else if meta.leader != Some(me) && (new_epoch || p.is_leader()) {
            p.become_follower(meta);
            out.trace(TraceKind::BecomeFollower {
                broker: me,
                partition: name.to_string(),
                leader: meta.leader,
                leader_epoch: meta.leader_epoch,
            });
            if self.fetch_settings.pre_kip101 {
                super::fetcher::truncate_to_high_watermark(me, p, out);
            }
        } else if meta.leader_epoch == p.leader_epoch {
            p.update_isr(meta.partition_epoch, meta.isr.clone());
            p.replicas = meta.replicas.clone();
            if p.is_leader() {
                self.maybe_advance_hw(now, tp, out);
            }
        }
    }

    fn fail_held_requests_not_led(&mut self, now: SimTime, out: &mut Effects) {
        let partitions = &self.partitions;
        let led = |tp: &Tp| partitions.get(tp).is_some_and(|p| p.is_leader());
        // A held fetch completes at once when the broker stops leading one of its partitions (`DelayedFetch`).
        let stale: Vec<(NodeId, u64)> = self
            .held_fetches
            .iter()
            .filter(|(_, h)| h.request.partitions.iter().any(|fp| !led(&fp.tp)))
            .map(|(k, _)| *k)
            .collect();
        for key in stale {
            let held = self.held_fetches.remove(&key).expect("just listed");
            self.answer_fetch(now, held.from, &held.request, out);
        }
        let partitions = &self.partitions;
        let led = |tp: &Tp| partitions.get(tp).is_some_and(|p| p.is_leader());
        let lost: Vec<(NodeId, u64)> =
            self.held_produces.iter().filter(|(_, h)| !led(&h.tp)).map(|(k, _)| *k).collect();
        for (from, correlation) in lost {
            let held = self.held_produces.remove(&(from, correlation)).expect("just listed");
            out.send(
                from,
                Msg::ProduceResponse {
                    correlation,
                    tp: held.tp,
                    result: Err(ErrorCode::NOT_LEADER_OR_FOLLOWER),
                },
            );
        }
    }

    // ---- Produce (leader side) ----

    fn on_produce(&mut self, now: SimTime, from: NodeId, req: ProduceRequest, out: &mut Effects) {
        let (correlation, acks, tp) = (req.correlation, req.acks, req.tp);
        let result = self.append_produce(now, from, req, out);
        match result {
            Ok(None) => {}
            Ok(Some(base)) if acks != 0 => {
                out.send(from, Msg::ProduceResponse { correlation, tp, result: Ok(base) })
            }
            Err(e) if acks != 0 => out.send(from, Msg::ProduceResponse { correlation, tp, result: Err(e) }),
            // acks=0 gets no answer, so KafkaApis closes the connection on an error: the client sees it drop and
            // refreshes its metadata (KafkaApis.handleProduceRequest, "closeConnection").
            Err(_) => out.send(from, Msg::Disconnected { broker: self.id }),
            _ => {}
        }
    }

    /// The topic's `max.message.bytes` and `min.insync.replicas` as this broker's metadata has them.
    fn topic_limits(&self, tp: Tp) -> (u32, usize) {
        self.partitions.get(&tp).map_or((u32::MAX, 1), |p| (p.max_message_bytes, p.min_insync_replicas))
    }

    /// Appends a produce request; returns the base offset to answer now, `None` if held for acks=all.
    fn append_produce(
        &mut self,
        now: SimTime,
        from: NodeId,
        req: ProduceRequest,
        out: &mut Effects,
    ) -> Result<Option<Offset>, ErrorCode> {
        let ProduceRequest { correlation, acks, timeout_ms, tp, batch } = req;
        let (max_bytes, min_isr) = self.topic_limits(tp);
        let p = self.partitions.get_mut(&tp).ok_or(ErrorCode::NOT_LEADER_OR_FOLLOWER)?;
        if !p.is_leader() {
            return Err(ErrorCode::NOT_LEADER_OR_FOLLOWER);
        }
        if batch.size_bytes > max_bytes {
            return Err(ErrorCode::RECORD_TOO_LARGE);
        }
        // Partition.appendRecordsToLeader: acks=all is refused before the append when the ISR is too small;
        // acks=0 and acks=1 are never checked against min.insync.replicas.
        if acks == -1 && p.isr.len() < min_isr {
            return Err(ErrorCode::NOT_ENOUGH_REPLICAS);
        }
        let appended =
            p.append_shared_as_leader(batch, now).map_err(|_| ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)?;
        let (base_offset, last_offset) = match appended {
            Appended::New { base_offset, last_offset } | Appended::Duplicate { base_offset, last_offset } => {
                (base_offset, last_offset)
            }
        };
        if matches!(appended, Appended::New { .. }) {
            self.on_leader_append(now, tp, out);
        }
        if acks != -1 {
            return Ok(Some(base_offset));
        }
        let deadline = now.plus_ms(timeout_ms);
        let held = HeldProduce { tp, base_offset, required_offset: last_offset + 1, deadline };
        if let Some(result) = produce_outcome(&self.partitions, &held) {
            return result.map(Some);
        }
        self.held_produces.insert((from, correlation), held);
        self.produce_timer.arm(deadline, Timer::ProduceExpire, out);
        Ok(None)
    }

    /// Answers REQUEST_TIMED_OUT to every acks=all produce whose timeout has passed (`DelayedProduce` expiry),
    /// then re-arms for the next deadline.
    fn expire_held_produces(&mut self, now: SimTime, out: &mut Effects) {
        if !self.produce_timer.fire(now) {
            return;
        }
        let expired: Vec<(NodeId, u64)> =
            self.held_produces.iter().filter(|(_, h)| h.deadline <= now).map(|(k, _)| *k).collect();
        for (from, correlation) in expired {
            let held = self.held_produces.remove(&(from, correlation)).expect("listed");
            let result = Err(ErrorCode::REQUEST_TIMED_OUT);
            out.send(from, Msg::ProduceResponse { correlation, tp: held.tp, result });
        }
        if let Some(next) = self.held_produces.values().map(|h| h.deadline).min() {
            self.produce_timer.arm(next, Timer::ProduceExpire, out);
        }
    }

    /// After an append on a led partition: wake fetches held for it, and (with no followers) move the HW.
    pub(crate) fn on_leader_append(&mut self, now: SimTime, tp: Tp, out: &mut Effects) {
        if self.held_fetches.is_empty() {
            self.maybe_advance_hw(now, tp, out);
            return;
        }
        // Followers read up to the log end: new data is for them at once. Consumers read up to the high
        // watermark, so their fetches wake when it moves (`maybe_advance_hw`).
        let waiting: Vec<(NodeId, u64)> = self
            .held_fetches
            .iter()
            .filter(|(_, h)| h.request.replica.is_some() && h.request.partitions.iter().any(|fp| fp.tp == tp))
            .map(|(k, _)| *k)
            .collect();
        for key in waiting {
            let held = self.held_fetches.remove(&key).expect("just listed");
            self.answer_fetch(now, held.from, &held.request, out);
        }
        self.maybe_advance_hw(now, tp, out);
    }

    /// After the high watermark of `tp` moved: answer the consumer fetches held for it that now have
    /// `fetch.min.bytes` to return (`DelayedFetch.tryComplete`); the others keep waiting for their deadline.
    pub(crate) fn wake_consumer_fetches(&mut self, now: SimTime, tp: Tp, out: &mut Effects) {
        if self.held_fetches.is_empty() {
            return;
        }
        let waiting: Vec<(NodeId, u64)> = self
            .held_fetches
            .iter()
            .filter(|(_, h)| h.request.replica.is_none() && h.request.partitions.iter().any(|fp| fp.tp == tp))
            .map(|(k, _)| *k)
            .collect();
        for key in waiting {
            let request = Rc::clone(&self.held_fetches[&key].request);
            let mut response = self.fetch_response_buffer(key.0);
            let parts =
                &mut Rc::get_mut(&mut response).expect("a fetch response buffer is unshared").partitions;
            let bytes = self.read_fetch(now, &request, parts, out);
            if bytes >= self.fetch_min_bytes(&request) {
                self.held_fetches.remove(&key);
                self.send_fetch_response(key.0, request.correlation, response, out);
            } else {
                self.fetch_response_buffers.insert(key.0, response);
            }
        }
    }

    /// Moves the leader's HW if the maximal ISR allows, and completes the acks=all produces it covers.
    pub(crate) fn maybe_advance_hw(&mut self, now: SimTime, tp: Tp, out: &mut Effects) {
        let me = self.id;
        let Some(p) = self.partitions.get_mut(&tp) else {
            return;
        };
        if !p.is_leader() {
            return;
        }
        let Some(hw) = p.candidate_high_watermark(me, p.min_insync_replicas) else {
            return;
        };
        let moved = hw > p.log.high_watermark();
        p.log.set_high_watermark(hw);
        if moved {
            self.on_high_watermark_moved(now, tp, out);
        }
        let Some(p) = self.partitions.get_mut(&tp) else {
            return;
        };
        if out.tracing_full() {
            out.trace(TraceKind::HighWatermark {
                broker: me,
                partition: p.name.to_string(),
                high_watermark: hw,
            });
        }
        self.complete_held_produces(tp, out);
    }

    fn complete_held_produces(&mut self, tp: Tp, out: &mut Effects) {
        let partitions = &self.partitions;
        // In key order, as before: the responses leave in the order of (producer, correlation).
        self.held_produces.retain(|&(to, correlation), held| {
            if held.tp != tp {
                return true;
            }
            match produce_outcome(partitions, held) {
                Some(result) => {
                    out.send(to, Msg::ProduceResponse { correlation, tp, result });
                    false
                }
                None => true,
            }
        });
    }

    // ---- Fetch (leader side) ----

    fn on_fetch(&mut self, now: SimTime, from: NodeId, request: Rc<FetchRequest>, out: &mut Effects) {
        let mut response = self.fetch_response_buffer(from);
        let parts = &mut Rc::get_mut(&mut response).expect("a fetch response buffer is unshared").partitions;
        let bytes = self.read_fetch(now, &request, parts, out);
        let urgent = parts.iter().any(|p| p.error.is_some() || p.diverging_epoch.is_some());
        if urgent || bytes >= self.fetch_min_bytes(&request) || request.max_wait_ms == 0 {
            self.send_fetch_response(from, request.correlation, response, out);
        } else {
            self.fetch_response_buffers.insert(from, response);
            let deadline = now.plus_ms(request.max_wait_ms);
            self.held_fetches.insert((from, request.correlation), HeldFetch { from, request, deadline });
            self.fetch_timer.arm(deadline, Timer::FetchExpire, out);
        }
    }

    /// Answers every held fetch whose `max_wait_ms` has passed (`DelayedFetch` expiry) and re-arms the single
    /// timer for the next deadline. One timer per broker instead of one per fetch: most held fetches are answered
    /// by new data long before their deadline.
    fn expire_held_fetches(&mut self, now: SimTime, out: &mut Effects) {
        if !self.fetch_timer.fire(now) {
            return;
        }
        let due: Vec<(NodeId, u64)> =
            self.held_fetches.iter().filter(|(_, h)| h.deadline <= now).map(|(k, _)| *k).collect();
        for key in due {
            let held = self.held_fetches.remove(&key).expect("listed");
            self.answer_fetch(now, held.from, &held.request, out);
        }
        if let Some(next) = self.held_fetches.values().map(|h| h.deadline).min() {
            self.fetch_timer.arm(next, Timer::FetchExpire, out);
        }
    }

    fn answer_fetch(&mut self, now: SimTime, from: NodeId, request: &FetchRequest, out: &mut Effects) {
        let mut response = self.fetch_response_buffer(from);
        let parts = &mut Rc::get_mut(&mut response).expect("a fetch response buffer is unshared").partitions;
        self.read_fetch(now, request, parts, out);
        self.send_fetch_response(from, request.correlation, response, out);
    }

    /// The response last sent to `to`, to be filled again, if `to` has let go of it (it has once it handled it);
    /// otherwise a new one. Fetches come and go several times per record: reusing the response and its vectors
    /// saves their allocations, and nothing else changes (the fetcher sees the same contents).
    fn fetch_response_buffer(&mut self, to: NodeId) -> Rc<FetchResponse> {
        let last = self.fetch_response_buffers.remove(&to);
        unshared_or(last, || FetchResponse { correlation: 0, partitions: Vec::new() })
    }

    fn send_fetch_response(
        &mut self,
        to: NodeId,
        correlation: u64,
        mut response: Rc<FetchResponse>,
        out: &mut Effects,
    ) {
        Rc::get_mut(&mut response).expect("a fetch response buffer is unshared").correlation = correlation;
        self.fetch_response_buffers.insert(to, Rc::clone(&response));
        out.send(to, Msg::FetchResponse(response));
    }

    /// The bytes a fetch waits for: its `fetch.min.bytes`, but never more than the response may hold
    /// (`KafkaApis.handleFetchRequest`: `Math.min(minBytes, fetchMaxBytes)`).
    fn fetch_min_bytes(&self, request: &FetchRequest) -> u64 {
        u64::from(request.min_bytes.max(1)).min(self.fetch_max_bytes(request))
    }

    /// A fetch response's byte budget: the request's, capped by the broker's `fetch.max.bytes` for consumers.
    fn fetch_max_bytes(&self, request: &FetchRequest) -> u64 {
        match request.replica {
            Some(_) => u64::from(request.max_bytes),
            None => u64::from(request.max_bytes.min(self.fetch_settings.fetch_max_bytes)),
        }
        .max(1)
    }

    /// Reads every partition of a fetch (`ReplicaManager.readFromLog` + `Partition.fetchRecords`) into `parts`,
    /// reusing the vectors it holds; returns the bytes read.
    fn read_fetch(
        &mut self,
        now: SimTime,
        request: &FetchRequest,
        parts: &mut Vec<FetchPartitionResponse>,
        out: &mut Effects,
    ) -> u64 {
        parts.truncate(request.partitions.len());
        let mut bytes = 0u64;
        // KafkaApis caps a consumer's response at the broker's `fetch.max.bytes`.
        let mut budget = self.fetch_max_bytes(request);
        for (i, fp) in request.partitions.iter().enumerate() {
            let spare = parts.get_mut(i).map(|p| std::mem::take(&mut p.batches)).unwrap_or_default();
            let mut resp = self.read_partition(now, request, fp, spare, out);
            let read: u64 = resp.batches.iter().map(|b| u64::from(b.size_bytes)).sum();
            // KIP-74: until some partition has returned data, the first batch comes whole even when it exceeds
            // both limits (so a consumer always makes progress); after that the response budget is strict, and a
            // partition whose first batch does not fit returns nothing.
            let limit = if bytes > 0 { budget.min(u64::from(request.partition_max_bytes)) } else { budget };
            resp.batches.truncate(batches_within(&resp.batches, limit, bytes == 0 && read > 0));
            let read: u64 = resp.batches.iter().map(|b| u64::from(b.size_bytes)).sum();
            bytes += read;
            budget = budget.saturating_sub(read);
            match parts.get_mut(i) {
                Some(slot) => *slot = resp,
                None => parts.push(resp),
            }
        }
        bytes
    }

    fn read_partition(
        &mut self,
        now: SimTime,
        request: &FetchRequest,
        fp: &super::messages::FetchPartition,
        mut batches: Vec<Rc<super::log::Batch>>,
        out: &mut Effects,
    ) -> FetchPartitionResponse {
        batches.clear();
        let mut resp = FetchPartitionResponse {
            tp: fp.tp,
            error: None,
            high_watermark: -1,
            log_start_offset: -1,
            log_end_offset: -1,
            diverging_epoch: None,
            batches,
        };
        let Some(p) = self.partitions.get_mut(&fp.tp).filter(|p| p.is_leader()) else {
            resp.error = Some(ErrorCode::NOT_LEADER_OR_FOLLOWER);
            return resp;
        };
        // KIP-320: the fetcher must be in the leader's epoch.
        if fp.current_leader_epoch < p.leader_epoch {
            resp.error = Some(ErrorCode::FENCED_LEADER_EPOCH);
            return resp;
        }
        if fp.current_leader_epoch > p.leader_epoch {
            resp.error = Some(ErrorCode::UNKNOWN_LEADER_EPOCH);
            return resp;
        }
        resp.log_start_offset = p.log.log_start_offset();
        resp.log_end_offset = p.log.log_end_offset();
        // Partition.readRecords: a fetcher whose last fetched epoch ends earlier on the leader (or is unknown to
        // it) has diverged; tell it where that epoch ends and send no records.
        if let Some(last_epoch) = fp.last_fetched_epoch {
            if let Some(eo) = p.log.end_offset_for(last_epoch) {
                if eo.epoch < last_epoch || eo.end_offset < fp.fetch_offset {
                    resp.high_watermark = p.log.high_watermark();
                    resp.diverging_epoch = Some(eo);
                    return resp;
                }
            }
        }
        if fp.fetch_offset > p.log.log_end_offset() || fp.fetch_offset < p.log.log_start_offset() {
            resp.high_watermark = p.log.high_watermark();
            resp.error = Some(ErrorCode::OFFSET_OUT_OF_RANGE);
            return resp;
        }
        let upto = match request.replica {
            Some(follower) => {
                p.record_follower_fetch(follower, fp.fetch_offset, now);
                p.log.log_end_offset()
            }
            None => p.log.high_watermark(),
        };
        p.log.read_into(fp.fetch_offset, upto, request.partition_max_bytes, &mut resp.batches);
        let Some(follower) = request.replica else {
            resp.high_watermark = p.log.high_watermark();
            return resp;
        };
        // Almost every fetch comes from a follower already in the ISR: skip the call when it cannot join.
        if !p.isr.contains(&follower) && p.pending_isr.is_none() {
            self.maybe_expand_isr(now, fp.tp, follower, out);
            self.maybe_advance_hw(now, fp.tp, out);
        } else if p.candidate_high_watermark(self.id, p.min_insync_replicas).is_some() {
            // Only when the high watermark can move: most fetches leave it where it is.
            self.maybe_advance_hw(now, fp.tp, out);
        }
        resp.high_watermark = self.partitions[&fp.tp].log.high_watermark();
        resp
    }

    // ---- ISR (leader side) ----

    /// Proposes adding a follower that has caught up (KAFKA-7128 rule) and whose broker may join ISRs.
    fn maybe_expand_isr(&mut self, now: SimTime, tp: Tp, follower: BrokerId, out: &mut Effects) {
        let me = self.id;
        let Some(p) = self.partitions.get_mut(&tp) else {
            return;
        };
        // Cheapest tests first: almost every fetch comes from a follower already in the ISR.
        if p.isr.contains(&follower)
            || p.pending_isr.is_some()
            || !p.is_follower_in_sync(follower)
            || !self.image.is_broker_eligible(follower)
        {
            return;
        }
        let mut new_isr = p.isr.clone();
        new_isr.push(follower);
        send_alter_partition(me, p, new_isr, now, out);
    }

    /// Proposes removing followers that have not caught up for `replica.lag.time.max.ms`.
    fn maybe_shrink_isr(&mut self, now: SimTime, out: &mut Effects) {
        let lag_us = self.config.ms("replica.lag.time.max.ms") * 1000;
        let me = self.id;
        let request_timeout_us = 30_000_000;
        for p in self.partitions.values_mut().filter(|p| p.is_leader()) {
            if let Some((proposed, sent)) = &p.pending_isr {
                // AlterPartitionManager retries an unanswered proposal (the controller may be unreachable).
                if now.since(*sent) >= request_timeout_us {
                    let proposed = proposed.clone();
                    send_alter_partition(me, p, proposed, now, out);
                }
                continue;
            }
            let out_of_sync = p.out_of_sync_replicas(now, lag_us);
            if out_of_sync.is_empty() {
                continue;
            }
            let new_isr: Vec<BrokerId> = p.isr.iter().filter(|b| !out_of_sync.contains(b)).copied().collect();
            send_alter_partition(me, p, new_isr, now, out);
        }
    }

    fn on_alter_partition_response(
        &mut self,
        now: SimTime,
        tp: Tp,
        result: Result<(i32, i32, Vec<BrokerId>), ErrorCode>,
        out: &mut Effects,
    ) {
        let Some(p) = self.partitions.get_mut(&tp) else {
            return;
        };
        match result {
            Ok((leader_epoch, partition_epoch, isr)) if leader_epoch == p.leader_epoch => {
                p.pending_isr = None;
                p.update_isr(partition_epoch, isr);
                if p.is_leader() {
                    self.maybe_advance_hw(now, tp, out);
                    self.complete_held_produces(tp, out);
                }
            }
            _ => p.pending_isr = None,
        }
    }
}

fn send_alter_partition(
    me: BrokerId,
    p: &mut Partition,
    new_isr: Vec<BrokerId>,
    now: SimTime,
    out: &mut Effects,
) {
    p.pending_isr = Some((new_isr.clone(), now));
    out.send(
        NodeId::Controller,
        Msg::AlterPartition {
            broker: me,
            tp: p.tp,
            leader_epoch: p.leader_epoch,
            partition_epoch: p.partition_epoch,
            new_isr,
        },
    );
}

impl Role {
    /// The leader a follower fetches from.
    pub fn followed_leader(&self) -> Option<BrokerId> {
        match self {
            Role::Follower { leader } => *leader,
            Role::Leader => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trace::TraceLevel;
    use crate::kafka::log::{Batch, Record};
    use crate::kafka::messages::FetchPartition;
    use crate::kafka::types::{ClientId, RecordId, TopicId};

    const TP: Tp = Tp { topic: TopicId(0), partition: 0 };
    const PRODUCER: NodeId = NodeId::Client(ClientId(1));

    fn leader() -> Broker {
        let mut b =
            Broker::new(BrokerId(1), None, 1, Rc::new(BrokerConfig::default()), BrokerStorage::default());
        let image = MetadataImage::test_topic(&[BrokerId(1), BrokerId(2), BrokerId(3)], 1);
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(
            SimTime::ZERO,
            Input::Message { from: NodeId::Controller, msg: Msg::MetadataUpdate(Rc::new(image)) },
            &mut out,
        );
        b
    }

    fn produce(acks: i16) -> Msg {
        let record = Record {
            key: None,
            value: None,
            value_bytes: 10,
            id: RecordId { producer: ClientId(1), seq: 0 },
        };
        let batch = Batch {
            base_offset: 0,
            epoch: -1,
            producer: None,
            append_time: SimTime::ZERO,
            size_bytes: 80,
            records: vec![record],
        };
        Msg::Produce(ProduceRequest {
            correlation: 9,
            acks,
            timeout_ms: 30_000,
            tp: TP,
            batch: Rc::new(batch),
        })
    }

    fn follower_fetch(follower: i32, offset: i64) -> Input {
        let fp = FetchPartition {
            tp: TP,
            fetch_offset: offset,
            last_fetched_epoch: Some(0),
            current_leader_epoch: 0,
        };
        let request = FetchRequest {
            correlation: 1,
            replica: Some(BrokerId(follower)),
            max_wait_ms: 500,
            min_bytes: 1,
            partition_max_bytes: 1 << 20,
            max_bytes: 10 << 20,
            partitions: vec![fp],
        };
        Input::Message { from: NodeId::Broker(BrokerId(follower)), msg: Msg::Fetch(Rc::new(request)) }
    }

    fn produce_responses(out: &Effects) -> Vec<(NodeId, Result<Offset, ErrorCode>)> {
        out.sends
            .iter()
            .filter_map(|(to, m, _)| match m {
                Msg::ProduceResponse { result, .. } => Some((*to, *result)),
                _ => None,
            })
            .collect()
    }

    const CONSUMER: NodeId = NodeId::Client(ClientId(5));

    /// Broker 1 as the only replica (so the high watermark follows each append) of topic `t`'s `partitions`.
    fn sole_leader(partitions: u32) -> Broker {
        let mut b =
            Broker::new(BrokerId(1), None, 1, Rc::new(BrokerConfig::default()), BrokerStorage::default());
        let image = MetadataImage::test_topic(&[BrokerId(1)], partitions);
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(
            SimTime::ZERO,
            Input::Message { from: NodeId::Controller, msg: Msg::MetadataUpdate(Rc::new(image)) },
            &mut out,
        );
        b
    }

    /// An acks=1 produce of one batch of `records` records and `size_bytes` bytes to partition `p`.
    fn append(b: &mut Broker, p: u32, records: u32, size_bytes: u32) {
        let records = (0..records)
            .map(|seq| Record {
                key: None,
                value: None,
                value_bytes: 10,
                id: RecordId { producer: ClientId(1), seq: u64::from(seq) },
            })
            .collect();
        let batch = Batch {
            base_offset: 0,
            epoch: -1,
            producer: None,
            append_time: SimTime::ZERO,
            size_bytes,
            records,
        };
        let tp = Tp { topic: TopicId(0), partition: p };
        let req = ProduceRequest { correlation: 9, acks: 1, timeout_ms: 30_000, tp, batch: Rc::new(batch) };
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(1), Input::Message { from: PRODUCER, msg: Msg::Produce(req) }, &mut out);
        assert!(matches!(produce_responses(&out)[..], [(_, Ok(_))]));
    }

    /// A consumer's Fetch of `(partition, offset)`s (the consumer defaults of `fetch.min.bytes` = 1 and
    /// `fetch.max.wait.ms` = 500 unless given).
    fn consumer_fetch(parts: &[(u32, Offset)], partition_max_bytes: u32, max_bytes: u32) -> FetchRequest {
        let partitions = parts
            .iter()
            .map(|(p, offset)| FetchPartition {
                tp: Tp { topic: TopicId(0), partition: *p },
                fetch_offset: *offset,
                last_fetched_epoch: None,
                current_leader_epoch: 0,
            })
            .collect();
        FetchRequest {
            correlation: 3,
            replica: None,
            max_wait_ms: 500,
            min_bytes: 1,
            partition_max_bytes,
            max_bytes,
            partitions,
        }
    }

    /// Sends `request` from the consumer at `now`; returns the fetch answer sent, if any.
    fn fetch(b: &mut Broker, now: SimTime, request: FetchRequest) -> Option<Rc<FetchResponse>> {
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(now, Input::Message { from: CONSUMER, msg: Msg::Fetch(Rc::new(request)) }, &mut out);
        fetch_answer(&out)
    }

    fn fetch_answer(out: &Effects) -> Option<Rc<FetchResponse>> {
        let answers: Vec<Rc<FetchResponse>> = out
            .sends
            .iter()
            .filter_map(|(to, m, _)| match m {
                Msg::FetchResponse(r) if *to == CONSUMER => Some(Rc::clone(r)),
                _ => None,
            })
            .collect();
        assert!(answers.len() <= 1, "{answers:?}");
        answers.into_iter().next()
    }

    /// Each partition's (error, batch sizes) in a fetch answer.
    fn shape(r: &FetchResponse) -> Vec<(Option<ErrorCode>, Vec<u32>)> {
        r.partitions.iter().map(|p| (p.error, p.batches.iter().map(|b| b.size_bytes).collect())).collect()
    }

    #[test]
    fn a_consumer_never_reads_above_the_high_watermark_and_a_fetch_between_hw_and_leo_waits_then_comes_back_empty(
    ) {
        // kafka-group-protocol.md §9.14, §8.2, §8.3: consumers read up to the high watermark; a fetch at or past it
        // (but not past the log end) is parked and answered empty, without an error, after fetch.max.wait.ms.
        let mut b = leader();
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(10), Input::Message { from: PRODUCER, msg: produce(1) }, &mut out);
        let log = &b.partitions[&TP].log;
        assert_eq!(
            (log.high_watermark(), log.log_end_offset()),
            (0, 1),
            "the followers have not fetched it yet"
        );

        for (offset, at) in [(0, SimTime::from_ms(1)), (1, SimTime::from_ms(1_000))] {
            assert!(fetch(&mut b, at, consumer_fetch(&[(0, offset)], 1 << 20, 50 << 20)).is_none(), "parked");
            let mut out = Effects::new(TraceLevel::Summary);
            b.handle(at.plus_ms(499), Input::Timer(Timer::FetchExpire), &mut out);
            assert!(fetch_answer(&out).is_none());
            b.handle(at.plus_ms(500), Input::Timer(Timer::FetchExpire), &mut out);
            let r = fetch_answer(&out).expect("answered after fetch.max.wait.ms");
            assert_eq!(shape(&r), vec![(None, vec![])], "offset {offset}: empty, not OFFSET_OUT_OF_RANGE");
            assert_eq!((r.partitions[0].high_watermark, r.partitions[0].log_end_offset), (0, 1));
        }
    }

    #[test]
    fn with_fetch_min_bytes_1_a_parked_consumer_fetch_is_answered_as_soon_as_a_record_is_committed() {
        // §9.14, §8.3: minBytes = 1 means any data; a parked fetch is re-checked when the high watermark moves.
        let mut b = leader();
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(10), Input::Message { from: PRODUCER, msg: produce(1) }, &mut out);
        assert!(fetch(&mut b, SimTime(20), consumer_fetch(&[(0, 0)], 1 << 20, 50 << 20)).is_none());

        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(30), follower_fetch(2, 1), &mut out);
        assert!(fetch_answer(&out).is_none(), "broker 3 has not fetched: the high watermark has not moved");
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(40), follower_fetch(3, 1), &mut out);
        let r = fetch_answer(&out).expect("answered at once, long before fetch.max.wait.ms");
        assert_eq!(shape(&r), vec![(None, vec![80])]);
        assert_eq!(r.partitions[0].high_watermark, 1);

        // With data already committed, a new fetch is not parked at all.
        let r = fetch(&mut b, SimTime(50), consumer_fetch(&[(0, 0)], 1 << 20, 50 << 20)).expect("at once");
        assert_eq!(shape(&r), vec![(None, vec![80])]);
    }

    #[test]
    fn a_consumer_fetch_beyond_the_log_end_is_offset_out_of_range_at_once() {
        // §8.2: only an offset past the log end (or before its start) is out of range.
        let mut b = sole_leader(1);
        append(&mut b, 0, 2, 100);
        let r = fetch(&mut b, SimTime(20), consumer_fetch(&[(0, 3)], 1 << 20, 50 << 20)).expect("at once");
        assert_eq!(shape(&r), vec![(Some(ErrorCode::OFFSET_OUT_OF_RANGE), vec![])]);
        assert_eq!(r.partitions[0].high_watermark, 2);
    }

    #[test]
    fn kip_74_lets_only_the_first_non_empty_partition_exceed_the_fetch_limits() {
        // §9.14, §8.2 (KIP-74): until a partition has returned data, its first batch comes whole even when it is
        // larger than max.partition.fetch.bytes and fetch.max.bytes; after that the limits are strict.
        let mut b = sole_leader(3);
        append(&mut b, 1, 1, 300);
        append(&mut b, 1, 1, 50);
        append(&mut b, 2, 1, 300);
        // p0 is empty (fetched at its end), p1's first batch is oversized, p2's too.
        let r =
            fetch(&mut b, SimTime(20), consumer_fetch(&[(0, 0), (1, 0), (2, 0)], 100, 150)).expect("at once");
        assert_eq!(shape(&r), vec![(None, vec![]), (None, vec![300]), (None, vec![])]);

        // After a first partition that returned data within the limits, an oversized first batch returns nothing,
        // even with budget left for the partition limit.
        let mut b = sole_leader(2);
        append(&mut b, 0, 1, 50);
        append(&mut b, 1, 1, 120);
        let r = fetch(&mut b, SimTime(20), consumer_fetch(&[(0, 0), (1, 0)], 100, 1_000)).expect("at once");
        assert_eq!(shape(&r), vec![(None, vec![50]), (None, vec![])]);
        let r = fetch(&mut b, SimTime(30), consumer_fetch(&[(1, 0), (0, 0)], 100, 1_000)).expect("at once");
        assert_eq!(
            shape(&r),
            vec![(None, vec![120]), (None, vec![50])],
            "first non-empty: the oversized batch comes"
        );
    }

    #[test]
    fn acks_all_is_answered_only_when_every_isr_member_has_fetched_past_the_record() {
        let mut b = leader();
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(10), Input::Message { from: PRODUCER, msg: produce(-1) }, &mut out);
        assert!(produce_responses(&out).is_empty(), "held until replicated");
        assert_eq!(b.partitions[&TP].log.log_end_offset(), 1);
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(20), follower_fetch(2, 1), &mut out);
        assert!(produce_responses(&out).is_empty(), "broker 3 has not fetched offset 0 yet");
        b.handle(SimTime(30), follower_fetch(3, 1), &mut out);
        assert_eq!(produce_responses(&out), vec![(PRODUCER, Ok(0))]);
        assert_eq!(b.partitions[&TP].log.high_watermark(), 1);
    }

    #[test]
    fn acks_1_is_answered_at_once_and_acks_0_not_at_all() {
        let mut b = leader();
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(10), Input::Message { from: PRODUCER, msg: produce(1) }, &mut out);
        assert_eq!(produce_responses(&out), vec![(PRODUCER, Ok(0))]);
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(SimTime(20), Input::Message { from: PRODUCER, msg: produce(0) }, &mut out);
        assert!(produce_responses(&out).is_empty());
        assert_eq!(b.partitions[&TP].log.log_end_offset(), 2);
    }

    #[test]
    fn a_stale_follower_epoch_is_fenced() {
        let mut b = leader();
        let mut out = Effects::new(TraceLevel::Summary);
        let fp =
            FetchPartition { tp: TP, fetch_offset: 0, last_fetched_epoch: None, current_leader_epoch: -1 };
        let request = FetchRequest {
            correlation: 1,
            replica: Some(BrokerId(2)),
            max_wait_ms: 0,
            min_bytes: 1,
            partition_max_bytes: 100,
            max_bytes: 100,
            partitions: vec![fp],
        };
        b.handle(
            SimTime(5),
            Input::Message { from: NodeId::Broker(BrokerId(2)), msg: Msg::Fetch(Rc::new(request)) },
            &mut out,
        );
        let error = out.sends.iter().find_map(|(_, m, _)| match m {
            Msg::FetchResponse(r) => Some(r.partitions[0].error),
            _ => None,
        });
        assert_eq!(error, Some(Some(ErrorCode::FENCED_LEADER_EPOCH)));
    }
}
