//! A producer client (`KafkaProducer`'s `RecordAccumulator` + `Sender`, sarama's producer, kafka-go's Writer):
//! it partitions records, batches them per partition (`batch.size`, `linger.ms`), sends one request per
//! partition at a time to the leader it knows, retries retriable errors after `retry.backoff.ms` (refreshing
//! metadata on `NOT_LEADER_OR_FOLLOWER`), gives up after `retries` or `delivery.timeout.ms`, and with
//! idempotence numbers its batches so that the leader never writes a retried batch twice.
//!
//! Simplification: one request in flight per partition (Java allows up to 5 with ordering kept by
//! idempotence; kafka-go and idempotent sarama send one).

use super::compression::BATCH_HEADER_BYTES;
use super::log::{Batch, Record};
use super::messages::{Msg, ProduceRequest};
use super::metadata::MetadataImage;
use super::partitioner::Partitioner;
use super::producer_config::{ClientProfile, ProducerConfig};
use super::tp_map::TpMap;
use super::types::{BrokerId, ClientId, ErrorCode, Offset, RecordId, TopicId, Tp};
use crate::engine::rng::uniform_inclusive;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::{Effects, Input, LazyTimer, NodeId, Timer};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::rc::Rc;

/// Approximate per-record overhead in a v2 batch (length, attributes, deltas, header count as varints).
const RECORD_OVERHEAD_BYTES: u32 = 10;

/// A record handed to `send()`.
#[derive(Clone, Debug)]
pub struct SendRecord {
    /// Target topic (shared: a workload sends the same topic name with every record).
    pub topic: Rc<str>,
    /// Explicit partition, if the caller chose one.
    pub partition: Option<u32>,
    /// Key (as text), or null.
    pub key: Option<Rc<str>>,
    /// Value label.
    pub value: Option<Rc<str>>,
    /// Value size in bytes.
    pub value_bytes: u32,
}

/// A workload: `count` records, one every `interval_us` (0 = as fast as the buffer allows).
#[derive(Clone, Debug)]
pub struct Workload {
    /// The record template; `{i}` in the value label is replaced by the record's number in the workload.
    pub template: SendRecord,
    /// Records left to send.
    pub remaining: u64,
    /// Records sent so far.
    pub sent: u64,
    /// Gap between records, microseconds.
    pub interval_us: u64,
    /// Keys to cycle through (empty: the template's key).
    pub keys: Vec<Rc<str>>,
}

#[derive(Clone, Debug)]
struct ProducerBatch {
    id: u64,
    records: Vec<Record>,
    /// The records' sizes as the accumulator counts them (what `buffer.memory` is charged).
    payload: u32,
    created: SimTime,
    attempts: u32,
    base_seq: Option<i64>,
}

/// A produce request waiting for its answer.
#[derive(Clone, Debug)]
struct InFlight {
    correlation: u64,
    batch: ProducerBatch,
    broker: BrokerId,
    /// When the client gives up on it (`request.timeout.ms` after sending).
    deadline: SimTime,
}

#[derive(Clone, Debug, Default)]
struct PartitionQueue {
    open: Option<ProducerBatch>,
    ready: VecDeque<ProducerBatch>,
    in_flight: Option<InFlight>,
    backoff_until: SimTime,
    next_seq: i64,
}

/// A producer.
#[derive(Clone, Debug)]
pub struct Producer {
    /// Its client id.
    pub id: ClientId,
    /// Its name in the scenario.
    pub name: String,
    /// Its settings.
    pub config: ProducerConfig,
    bootstrap: Vec<BrokerId>,
    metadata: Rc<MetadataImage>,
    metadata_in_flight: Option<u64>,
    last_metadata_broker: Option<BrokerId>,
    bootstrap_cursor: usize,
    /// One partitioner per topic (Java, sarama), or one for all topics (kafka-go's Writer has one Balancer).
    partitioners: VecMap<String, Partitioner>,
    /// The partitions with a leader of topic `available_for` in the current metadata, kept until either changes
    /// (it is the same list for every record in between).
    available: Vec<u32>,
    available_for: Option<TopicId>,
    rng: ChaCha8Rng,
    queues: TpMap<PartitionQueue>,
    waiting_for_metadata: VecDeque<(RecordId, SendRecord)>,
    workloads: Vec<Workload>,
    next_record: u64,
    /// The idempotent producer's epoch, bumped after a sequence gap (KIP-360).
    producer_epoch: i16,
    /// Metadata requests that failed in a row (the retry backoff grows with them).
    metadata_failures: u32,
    next_correlation: u64,
    next_batch: u64,
    buffered_bytes: u64,
    /// Sync mode: the record whose result the caller is waiting for.
    awaiting: Option<RecordId>,
    /// When the single request-timeout timer fires, if armed.
    request_timer: LazyTimer,
    /// When the single delivery-timeout timer fires, if armed.
    delivery_timer: LazyTimer,
    /// A workload stopped for a full buffer or a sync result and must be resumed by the next result.
    blocked: bool,
    /// Counts of outcomes, for the view and expectations.
    pub acked: u64,
    /// Records that failed for good.
    pub failed: u64,
}

impl Producer {
    /// A producer that bootstraps from `bootstrap`.
    pub fn new(
        id: ClientId,
        name: String,
        config: ProducerConfig,
        bootstrap: Vec<BrokerId>,
        rng: ChaCha8Rng,
    ) -> Self {
        Self {
            id,
            name,
            config,
            bootstrap,
            metadata: Rc::new(MetadataImage::default()),
            metadata_in_flight: None,
            last_metadata_broker: None,
            bootstrap_cursor: 0,
            partitioners: VecMap::new(),
            available: Vec::new(),
            available_for: None,
            rng,
            queues: TpMap::new(),
            waiting_for_metadata: VecDeque::new(),
            workloads: Vec::new(),
            next_record: 0,
            producer_epoch: 0,
            metadata_failures: 0,
            next_correlation: 0,
            next_batch: 0,
            buffered_bytes: 0,
            awaiting: None,
            blocked: false,
            request_timer: LazyTimer::default(),
            delivery_timer: LazyTimer::default(),
            acked: 0,
            failed: 0,
        }
    }

    /// Starts: fetch metadata and schedule its refresh.
    pub fn start(&mut self, now: SimTime, out: &mut Effects) {
        self.request_metadata(now, out);
        out.timer(now.plus_ms(self.config.metadata_max_age_ms), Timer::MetadataRefresh);
    }

    /// Adds a workload and starts it now.
    pub fn add_workload(&mut self, now: SimTime, workload: Workload, out: &mut Effects) {
        self.workloads.push(workload);
        let task = (self.workloads.len() - 1) as u32;
        out.timer(now, Timer::Workload { task });
    }

    /// The single entry point.
    pub fn handle(&mut self, now: SimTime, input: Input, out: &mut Effects) {
        match input {
            Input::Message { msg, .. } => self.on_message(now, msg, out),
            Input::Timer(t) => self.on_timer(now, t, out),
        }
    }

    fn on_message(&mut self, now: SimTime, msg: Msg, out: &mut Effects) {
        match msg {
            Msg::MetadataResponse { correlation, image } if self.metadata_in_flight == Some(correlation) => {
                self.metadata_in_flight = None;
                self.metadata_failures = 0;
                if image.version >= self.metadata.version {
                    self.metadata = image;
                    self.available_for = None;
                }
                self.flush_waiting(now, out);
                self.drain_all(now, out);
                if !self.waiting_for_metadata.is_empty() {
                    // The topic is not known yet (the broker may not have the metadata either): ask again.
                    out.timer(now.plus_ms(self.config.retry_backoff_ms), Timer::MetadataRetry);
                }
            }
            Msg::ProduceResponse { correlation, tp, result } => {
                self.on_produce_response(now, correlation, tp, result, out)
            }
            Msg::Disconnected { broker } => self.on_disconnect(now, broker, out),
            _ => {}
        }
    }

    fn on_timer(&mut self, now: SimTime, timer: Timer, out: &mut Effects) {
        match timer {
            Timer::Workload { task } => self.pump(now, task as usize, out),
            Timer::Linger { tp, batch } => {
                let q = self.queues.get_or_insert_with(tp, PartitionQueue::default);
                if q.open.as_ref().is_some_and(|b| b.id == batch) {
                    let b = q.open.take().expect("checked");
                    q.ready.push_back(b);
                    self.drain(now, tp, out);
                }
            }
            Timer::RetryBackoff { tp } => self.drain(now, tp, out),
            Timer::DeliveryTimeout => self.expire(now, out),
            Timer::RequestTimeout { correlation } => self.on_request_timeout(now, correlation, out),
            Timer::InFlightCheck => self.check_in_flight(now, out),
            Timer::MetadataRetry => self.request_metadata(now, out),
            Timer::MetadataRefresh => {
                self.request_metadata(now, out);
                out.timer(now.plus_ms(self.config.metadata_max_age_ms), Timer::MetadataRefresh);
            }
            _ => {}
        }
    }

    // ---- Metadata ----

    fn request_metadata(&mut self, now: SimTime, out: &mut Effects) {
        if self.metadata_in_flight.is_some() || self.bootstrap.is_empty() {
            return;
        }
        // Ask the next broker in turn, so an unreachable one does not block the client forever.
        let broker = self.bootstrap[self.bootstrap_cursor % self.bootstrap.len()];
        self.bootstrap_cursor += 1;
        self.next_correlation += 1;
        let correlation = self.next_correlation;
        self.metadata_in_flight = Some(correlation);
        self.last_metadata_broker = Some(broker);
        out.send(NodeId::Broker(broker), Msg::MetadataRequest { correlation });
        out.timer(
            now.plus_ms(self.config.request_timeout_ms.min(5_000)),
            Timer::RequestTimeout { correlation },
        );
    }

    // ---- Sending ----

    /// Runs a workload: emits records while the buffer has room (async) or one at a time (sync).
    fn pump(&mut self, now: SimTime, task: usize, out: &mut Effects) {
        loop {
            if self.awaiting.is_some() || self.buffered_bytes >= self.config.buffer_memory {
                self.blocked = true;
                return;
            }
            let Some(w) = self.workloads.get_mut(task) else {
                return;
            };
            if w.remaining == 0 {
                return;
            }
            w.remaining -= 1;
            let record = instantiate(w);
            w.sent += 1;
            let interval = w.interval_us;
            // A sync send waits for this record's result; with acks=0 the result comes before send() returns.
            if self.config.sync {
                self.awaiting = Some(RecordId { producer: self.id, seq: self.next_record });
            }
            if self.send(now, record, out).is_none() {
                self.awaiting = None;
            }
            if self.awaiting.is_some() {
                self.blocked = true;
                return;
            }
            if interval > 0 {
                if self.workloads[task].remaining > 0 {
                    out.timer(now + interval, Timer::Workload { task: task as u32 });
                }
                return;
            }
        }
    }

    /// `send()`: partitions the record and adds it to its partition's batch. Returns its id, or `None` when it
    /// failed at once (too large).
    pub fn send(&mut self, now: SimTime, record: SendRecord, out: &mut Effects) -> Option<RecordId> {
        let id = RecordId { producer: self.id, seq: self.next_record };
        self.next_record += 1;
        let key_len = record.key.as_ref().map_or(0, |k| k.len() as u32);
        let bytes = key_len + record.value_bytes + RECORD_OVERHEAD_BYTES;
        if bytes + BATCH_HEADER_BYTES > self.config.max_request_size {
            // KafkaProducer.ensureValidRecordSize: refused before it is batched.
            self.report_failed(&format!("{}-?", record.topic), vec![id], ErrorCode::RECORD_TOO_LARGE, out);
            return None;
        }
        if self.metadata.topic_by_name(&record.topic).is_none() {
            self.waiting_for_metadata.push_back((id, record));
            self.request_metadata(now, out);
            return Some(id);
        }
        self.enqueue(now, id, record, bytes, out);
        Some(id)
    }

    fn flush_waiting(&mut self, now: SimTime, out: &mut Effects) {
        let waiting: Vec<(RecordId, SendRecord)> = self.waiting_for_metadata.drain(..).collect();
        for (id, record) in waiting {
            if self.metadata.topic_by_name(&record.topic).is_none() {
                self.waiting_for_metadata.push_back((id, record));
                continue;
            }
            let bytes = record.key.as_ref().map_or(0, |k| k.len() as u32)
                + record.value_bytes
                + RECORD_OVERHEAD_BYTES;
            self.enqueue(now, id, record, bytes, out);
        }
    }

    fn enqueue(&mut self, now: SimTime, id: RecordId, record: SendRecord, bytes: u32, out: &mut Effects) {
        let topic = self.metadata.topic_by_name(&record.topic).expect("checked by caller");
        let n = topic.partitions.len() as u32;
        let partition = match record.partition {
            Some(p) => p.min(n.saturating_sub(1)),
            None => {
                // The partitions with a leader, which Java's sticky and round-robin choices are limited to.
                if self.available_for != Some(topic.id) {
                    self.available.clear();
                    let leaders = topic.partitions.iter().enumerate().filter(|(_, p)| p.leader.is_some());
                    self.available.extend(leaders.map(|(i, _)| i as u32));
                    self.available_for = Some(topic.id);
                }
                let key = record.key.as_ref().map(|k| k.as_bytes());
                let scope = if self.config.client == ClientProfile::KafkaGo { "" } else { &*record.topic };
                if !self.partitioners.contains_key(scope) {
                    let p = Partitioner::new(self.config.partitioner, self.config.batch_size);
                    self.partitioners.insert(scope.to_string(), p);
                }
                let partitioner = self.partitioners.get_mut(scope).expect("inserted above");
                partitioner.partition(key, bytes, n, &self.available, &mut self.rng)
            }
        };
        let tp = Tp { topic: topic.id, partition };
        let record = Record { key: record.key, value: record.value, value_bytes: record.value_bytes, id };
        self.buffered_bytes += u64::from(bytes);
        self.add_to_batch(now, tp, record, bytes, out);
        self.drain(now, tp, out);
    }

    fn add_to_batch(&mut self, now: SimTime, tp: Tp, record: Record, bytes: u32, out: &mut Effects) {
        let (batch_size, max_records, linger) =
            (self.config.batch_size, self.config.batch_max_records, self.config.linger_ms);
        let q = self.queues.get_or_insert_with(tp, PartitionQueue::default);
        // Close the open batch if this record would not fit (RecordAccumulator.tryAppend).
        if let Some(open) = &q.open {
            let full_bytes = open.payload + bytes > batch_size.max(1);
            let full_count = max_records.is_some_and(|m| open.records.len() as u32 >= m);
            if full_bytes || full_count {
                let b = q.open.take().expect("checked");
                q.ready.push_back(b);
            }
        }
        let open = q.open.get_or_insert_with(|| {
            self.next_batch += 1;
            ProducerBatch {
                id: self.next_batch,
                // Room for exactly one record: with `linger.ms=0` most batches hold one, and a block of that size
                // is what the request's copy and the next batch ask for again once this one is freed.
                records: Vec::with_capacity(1),
                payload: 0,
                created: now,
                attempts: 0,
                base_seq: None,
            }
        });
        let new_batch = open.records.is_empty();
        open.payload += bytes;
        open.records.push(record);
        let id = open.id;
        let full = open.payload >= batch_size || max_records.is_some_and(|m| open.records.len() as u32 >= m);
        if full || linger == 0 {
            let b = q.open.take().expect("just filled");
            q.ready.push_back(b);
        } else if new_batch {
            out.timer(now.plus_ms(linger), Timer::Linger { tp, batch: id });
        }
        if let (true, Some(d)) = (new_batch, self.config.delivery_timeout_ms) {
            self.delivery_timer.arm(now.plus_ms(d), Timer::DeliveryTimeout, out);
        }
    }

    fn drain_all(&mut self, now: SimTime, out: &mut Effects) {
        let tps: Vec<Tp> = self.queues.keys().copied().collect();
        for tp in tps {
            self.drain(now, tp, out);
        }
    }

    /// Sends the partition's next ready batch if nothing is in flight for it.
    fn drain(&mut self, now: SimTime, tp: Tp, out: &mut Effects) {
        let leader = self.metadata.partition(tp).and_then(|p| p.leader);
        let q = self.queues.get_or_insert_with(tp, PartitionQueue::default);
        if q.in_flight.is_some() || q.ready.is_empty() || q.backoff_until > now {
            return;
        }
        let Some(leader) = leader else {
            self.request_metadata(now, out);
            return;
        };
        let mut batch = q.ready.pop_front().expect("checked");
        if self.config.enable_idempotence && batch.base_seq.is_none() {
            batch.base_seq = Some(q.next_seq);
            q.next_seq += batch.records.len() as i64;
        }
        batch.attempts += 1;
        self.next_correlation += 1;
        let correlation = self.next_correlation;
        let request = self.build_request(correlation, tp, &batch);
        let cpu_us = self.config.compression.cpu_us(batch.payload);
        out.send_after(NodeId::Broker(leader), Msg::Produce(request), cpu_us);
        let q = self.queues.get_mut(&tp).expect("exists");
        if self.config.acks == 0 {
            // acks=0: fire and forget; the client reports success with offset -1.
            self.complete(tp, batch, -1, out);
            self.drain(now, tp, out);
            return;
        }
        let deadline = now.plus_ms(self.config.request_timeout_ms);
        q.in_flight = Some(InFlight { correlation, batch, broker: leader, deadline });
        self.request_timer.arm(deadline, Timer::InFlightCheck, out);
    }

    fn build_request(&self, correlation: u64, tp: Tp, batch: &ProducerBatch) -> ProduceRequest {
        let records = batch.records.clone();
        ProduceRequest {
            correlation,
            acks: self.config.acks,
            timeout_ms: self.config.request_timeout_ms,
            tp,
            batch: Rc::new(Batch {
                base_offset: 0,
                epoch: -1,
                producer: batch.base_seq.map(|s| (self.id, self.producer_epoch, s)),
                append_time: SimTime::ZERO,
                size_bytes: self.config.compression.batch_bytes(records.len(), batch.payload),
                records,
            }),
        }
    }

    // ---- Results ----

    fn on_produce_response(
        &mut self,
        now: SimTime,
        correlation: u64,
        tp: Tp,
        result: Result<Offset, ErrorCode>,
        out: &mut Effects,
    ) {
        let Some(q) = self.queues.get_mut(&tp) else { return };
        if q.in_flight.as_ref().is_none_or(|f| f.correlation != correlation) {
            return;
        }
        let batch = q.in_flight.take().expect("checked").batch;
        match result {
            Ok(base) => self.complete(tp, batch, base, out),
            Err(e) => self.on_error(now, tp, batch, e, out),
        }
        self.drain(now, tp, out);
        self.resume_workloads(now, out);
    }

    fn on_request_timeout(&mut self, now: SimTime, correlation: u64, out: &mut Effects) {
        if self.metadata_in_flight == Some(correlation) {
            self.metadata_in_flight = None;
            self.request_metadata(now, out);
        }
    }

    /// Fails the requests whose `request.timeout.ms` has passed (Java retries them: the write may or may not
    /// have happened), and re-arms the timer for the next deadline.
    fn check_in_flight(&mut self, now: SimTime, out: &mut Effects) {
        if !self.request_timer.fire(now) {
            return;
        }
        let expired: Vec<Tp> = self
            .queues
            .iter()
            .filter(|(_, q)| q.in_flight.as_ref().is_some_and(|f| f.deadline <= now))
            .map(|(t, _)| *t)
            .collect();
        for tp in &expired {
            let batch = self.queues.get_mut(tp).expect("listed").in_flight.take().expect("listed").batch;
            self.on_error(now, *tp, batch, ErrorCode::TIMEOUT, out);
            self.drain(now, *tp, out);
        }
        let next = self.queues.values().filter_map(|q| q.in_flight.as_ref().map(|f| f.deadline)).min();
        if let Some(deadline) = next {
            self.request_timer.arm(deadline, Timer::InFlightCheck, out);
        }
        if !expired.is_empty() {
            self.resume_workloads(now, out);
        }
    }

    /// The connection to `broker` broke: what was in flight on it fails with a retriable network error
    /// (`NetworkClient` handles a disconnection this way, long before `request.timeout.ms`).
    fn on_disconnect(&mut self, now: SimTime, broker: BrokerId, out: &mut Effects) {
        let broken: Vec<Tp> = self
            .queues
            .iter()
            .filter(|(_, q)| q.in_flight.as_ref().is_some_and(|f| f.broker == broker))
            .map(|(tp, _)| *tp)
            .collect();
        for tp in broken {
            let batch = self.queues.get_mut(&tp).expect("listed").in_flight.take().expect("listed").batch;
            self.on_error(now, tp, batch, ErrorCode::NETWORK_EXCEPTION, out);
        }
        if self.metadata_in_flight.is_some() && self.last_metadata_broker == Some(broker) {
            // Asked again after a backoff that grows while every attempt fails (KIP-580), not at once: with
            // every broker down an immediate retry would spin.
            self.metadata_in_flight = None;
            self.metadata_failures += 1;
            let wait = self.backoff_us(self.metadata_failures);
            out.timer(now + wait, Timer::MetadataRetry);
        } else if self.metadata_in_flight.is_none() {
            // A dropped connection may mean a leader moved (acks=0 learns of errors only this way).
            self.request_metadata(now, out);
        }
        self.resume_workloads(now, out);
    }

    fn on_error(
        &mut self,
        now: SimTime,
        tp: Tp,
        mut batch: ProducerBatch,
        error: ErrorCode,
        out: &mut Effects,
    ) {
        let mut retriable = error.is_retriable() || error == ErrorCode::TIMEOUT;
        if error == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER && self.config.enable_idempotence {
            // TransactionManager.canRetry (KIP-360): the idempotent Java producer retries a sequence gap after
            // bumping its epoch, which restarts every partition's sequence at 0.
            self.bump_epoch();
            batch.base_seq = None;
            retriable = true;
        }
        let expired = self.config.delivery_timeout_ms.is_some_and(|d| now.since(batch.created) >= d * 1000);
        if !retriable || batch.attempts > self.config.retries || expired {
            let error = if expired && retriable { ErrorCode::TIMEOUT } else { error };
            let name = self.metadata.tp_name(tp);
            let ids: Vec<RecordId> = batch.records.iter().map(|r| r.id).collect();
            self.release(&batch);
            self.report_failed(&name, ids, error, out);
            return;
        }
        if out.tracing() {
            out.trace(TraceKind::ProduceRetry {
                producer: self.name.clone(),
                partition: self.metadata.tp_name(tp),
                error,
                attempt: batch.attempts,
            });
        }
        let backoff_us = self.backoff_us(batch.attempts);
        let q = self.queues.get_mut(&tp).expect("exists");
        q.ready.push_front(batch);
        q.backoff_until = now + backoff_us;
        out.timer(q.backoff_until, Timer::RetryBackoff { tp });
        // Metadata.requestUpdate on NOT_LEADER_OR_FOLLOWER, timeouts and unknown partitions.
        self.request_metadata(now, out);
    }

    fn bump_epoch(&mut self) {
        self.producer_epoch += 1;
        for q in self.queues.values_mut() {
            q.next_seq = 0;
            for b in q.ready.iter_mut() {
                b.base_seq = None;
            }
        }
    }

    /// KIP-580 exponential backoff: `retry.backoff.ms · 2^(attempt-1)`, capped at `retry.backoff.max.ms`, with
    /// Kafka's ±20 % jitter drawn from the producer's seeded stream (no jitter when the backoff is fixed).
    fn backoff_us(&mut self, attempt: u32) -> u64 {
        let base = self.config.retry_backoff_ms.saturating_mul(1000);
        let max = self.config.retry_backoff_max_ms.saturating_mul(1000).max(base);
        let exp = base.saturating_mul(1u64 << attempt.saturating_sub(1).min(20)).min(max);
        if max == base || exp == 0 {
            return exp;
        }
        let jitter = uniform_inclusive(&mut self.rng, 0, 400) as i64 - 200; // per mille: ±20 %
        (exp as i64 + exp as i64 * jitter / 1000).max(0) as u64
    }

    /// `RecordAccumulator.expiredBatches`: batches still waiting (never sent, or waiting to be retried) whose
    /// `delivery.timeout.ms` has passed since they were created fail with a timeout. A batch in flight is left
    /// to its request's own outcome. Queues are oldest first, so only their fronts need looking at.
    fn expire(&mut self, now: SimTime, out: &mut Effects) {
        let Some(timeout_ms) = self.config.delivery_timeout_ms else { return };
        if !self.delivery_timer.fire(now) {
            return;
        }
        let deadline = |b: &ProducerBatch| b.created.plus_ms(timeout_ms);
        let mut expired = Vec::new();
        for (tp, q) in self.queues.iter_mut() {
            while q.ready.front().is_some_and(|b| deadline(b) <= now) {
                expired.push((*tp, q.ready.pop_front().expect("checked")));
            }
            if q.ready.is_empty() && q.open.as_ref().is_some_and(|b| deadline(b) <= now) {
                expired.push((*tp, q.open.take().expect("checked")));
            }
        }
        let any = !expired.is_empty();
        for (tp, b) in expired {
            let name = self.metadata.tp_name(tp);
            let ids: Vec<RecordId> = b.records.iter().map(|r| r.id).collect();
            self.release(&b);
            self.report_failed(&name, ids, ErrorCode::TIMEOUT, out);
        }
        let next =
            self.queues.values().filter_map(|q| q.ready.front().or(q.open.as_ref()).map(deadline)).min();
        if let Some(next) = next {
            self.delivery_timer.arm(next, Timer::DeliveryTimeout, out);
        }
        if any {
            self.resume_workloads(now, out);
        }
    }

    fn complete(&mut self, tp: Tp, batch: ProducerBatch, base: Offset, out: &mut Effects) {
        self.release(&batch);
        self.acked += batch.records.len() as u64;
        if out.tracing() {
            out.trace(TraceKind::ProduceAcked {
                producer: self.name.clone(),
                partition: self.metadata.tp_name(tp),
                base_offset: base,
                records: batch.records.iter().map(|r| r.id).collect(),
                acks: self.config.acks,
            });
        }
        if let Some(waiting) = self.awaiting {
            if batch.records.iter().any(|r| r.id == waiting) {
                self.awaiting = None;
            }
        }
    }

    fn release(&mut self, batch: &ProducerBatch) {
        self.buffered_bytes = self.buffered_bytes.saturating_sub(u64::from(batch.payload));
    }

    fn report_failed(&mut self, partition: &str, ids: Vec<RecordId>, error: ErrorCode, out: &mut Effects) {
        self.failed += ids.len() as u64;
        if self.awaiting.is_some_and(|w| ids.contains(&w)) {
            self.awaiting = None;
        }
        out.trace(TraceKind::ProduceFailed {
            producer: self.name.clone(),
            partition: partition.to_string(),
            records: ids,
            error,
        });
    }

    /// Continues workloads that were waiting for room in the buffer or for a sync result.
    fn resume_workloads(&mut self, now: SimTime, out: &mut Effects) {
        if self.awaiting.is_some() || !self.blocked || self.buffered_bytes >= self.config.buffer_memory {
            return;
        }
        self.blocked = false;
        for task in 0..self.workloads.len() {
            let w = &self.workloads[task];
            if w.remaining == 0 {
                continue;
            }
            if w.interval_us == 0 || self.config.sync {
                let due = if self.config.sync && w.interval_us > 0 { now + w.interval_us } else { now };
                out.timer(due, Timer::Workload { task: task as u32 });
                if self.config.sync {
                    return;
                }
            }
        }
    }

    /// Records waiting in batches or in flight.
    pub fn queued_records(&self) -> usize {
        self.queues
            .values()
            .map(|q| {
                q.open.as_ref().map_or(0, |b| b.records.len())
                    + q.ready.iter().map(|b| b.records.len()).sum::<usize>()
                    + q.in_flight.as_ref().map_or(0, |f| f.batch.records.len())
            })
            .sum::<usize>()
            + self.waiting_for_metadata.len()
    }
}

fn instantiate(w: &Workload) -> SendRecord {
    let mut r = w.template.clone();
    if !w.keys.is_empty() {
        r.key = Some(Rc::clone(&w.keys[(w.sent % w.keys.len() as u64) as usize]));
    }
    if let Some(v) = &r.value {
        if v.contains("{i}") {
            r.value = Some(v.replace("{i}", &w.sent.to_string()).into());
        }
    }
    r
}
