//! The broker's side of consumer groups: FindCoordinator and ListOffsets, routing group requests to the
//! coordinator when this broker leads (and has loaded) the group's `__consumer_offsets` partition, appending the
//! coordinator's records there with acks=all semantics, and loading/unloading groups as leadership moves.
//!
//! Simplification: loading a partition takes 5 ms plus 1 µs per record (Kafka's load time depends on the log
//! size and the disk); requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS, heartbeats a blind NONE.

use super::coordinator::{map_append_error, GroupConfig, GroupCoordinator, JoinRequest, WriteAction};
use super::member::ReplyTo;
use super::protocol::{GroupRequest, GroupResponse, OffsetSpec};
use super::{coordinator_partition, OFFSETS_TOPIC};
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::{Effects, LazyTimer, NodeId, Timer};
use crate::kafka::admin::{AdminOp, AdminResult};
use crate::kafka::broker::Broker;
use crate::kafka::log::Batch;
use crate::kafka::messages::Msg;
use crate::kafka::partition::Appended;
use crate::kafka::types::{ErrorCode, LeaderEpoch, Offset, TopicId, Tp};
use std::rc::Rc;

/// How long a broker waits before asking the controller again to create `__consumer_offsets`.
const CREATE_RETRY_MS: u64 = 1_000;

/// One offsets partition this broker leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shard {
    /// Replaying its log until the instant given.
    Loading { epoch: LeaderEpoch, until: SimTime },
    /// Serving its groups.
    Active { epoch: LeaderEpoch },
}

/// A coordinator write appended to the log and waiting for the high watermark.
#[derive(Clone, Debug)]
struct PendingWrite {
    shard: u32,
    required: Offset,
    deadline: SimTime,
    group: Rc<str>,
    then: WriteAction,
}

/// The broker's coordinator state.
#[derive(Clone, Debug, Default)]
pub struct CoordinatorSide {
    /// The coordinator.
    pub coordinator: GroupCoordinator,
    /// The offsets partitions this broker leads.
    pub shards: VecMap<u32, Shard>,
    pending: Vec<PendingWrite>,
    timer: LazyTimer,
    retention_started: bool,
    create_requested: Option<SimTime>,
    flushing: bool,
}

impl Broker {
    fn group_config(&self) -> GroupConfig {
        GroupConfig::from_broker(&self.config)
    }

    fn offsets_topic(&self) -> Option<(TopicId, u32)> {
        self.image.topic_by_name(OFFSETS_TOPIC).map(|t| (t.id, t.partitions.len() as u32))
    }

    /// How many partitions `__consumer_offsets` has (or will have once created).
    fn offsets_partitions(&self) -> u32 {
        self.offsets_topic()
            .map_or_else(|| self.config.get("offsets.topic.num.partitions").max(1) as u32, |(_, n)| n)
    }

    /// A group request or ListOffsets from a client.
    pub(crate) fn on_group_request(
        &mut self,
        now: SimTime,
        from: NodeId,
        correlation: u64,
        req: GroupRequest,
        out: &mut Effects,
    ) {
        let to = ReplyTo { node: from, correlation };
        match req {
            GroupRequest::FindCoordinator { group } => self.find_coordinator(now, to, &group, out),
            GroupRequest::ListOffsets { partitions } => self.list_offsets(to, &partitions, out),
            req => {
                let group = Rc::clone(req.group().expect("group requests name a group"));
                let shard = coordinator_partition(&group, self.offsets_partitions());
                match self.group_side.shards.get(&shard) {
                    Some(Shard::Active { .. }) => self.dispatch(now, to, &group, req, out),
                    Some(Shard::Loading { .. }) => {
                        if matches!(req, GroupRequest::Heartbeat { .. }) {
                            // A blind ack while loading ([GCS]:500-512).
                            reply(out, to, GroupResponse::Heartbeat { error: None });
                        } else {
                            reply(out, to, error_response(&req, ErrorCode::COORDINATOR_LOAD_IN_PROGRESS));
                        }
                    }
                    None => reply(out, to, error_response(&req, ErrorCode::NOT_COORDINATOR)),
                }
                self.flush_coordinator_writes(now, out);
                self.arm_coordinator_timer(out);
            }
        }
    }

    fn dispatch(&mut self, now: SimTime, to: ReplyTo, group: &Rc<str>, req: GroupRequest, out: &mut Effects) {
        let cfg = self.group_config();
        let salt = u64::from(self.id.0 as u32) << 32 | self.incarnation;
        let c = &mut self.group_side.coordinator;
        match req {
            GroupRequest::JoinGroup {
                member,
                client_id,
                session_timeout_ms,
                rebalance_timeout_ms,
                protocols,
                ..
            } => {
                let req =
                    JoinRequest { member, client_id, session_timeout_ms, rebalance_timeout_ms, protocols };
                c.join(now, &cfg, salt, to, group, req, out);
            }
            GroupRequest::SyncGroup { member, protocol_name, assignments, .. } => {
                c.sync(now, &cfg, to, group, &member, protocol_name.as_deref(), assignments, out)
            }
            GroupRequest::Heartbeat { member, .. } => c.heartbeat(now, to, group, &member, out),
            GroupRequest::LeaveGroup { member, .. } => c.leave(now, &cfg, to, group, &member, out),
            GroupRequest::OffsetCommit { member, offsets, client_id, .. } => {
                c.commit(now, to, group, (&member, &client_id), offsets, out)
            }
            GroupRequest::OffsetFetch { partitions, .. } => c.fetch_offsets(to, group, &partitions, out),
            GroupRequest::FindCoordinator { .. } | GroupRequest::ListOffsets { .. } => {}
        }
    }

    /// FindCoordinator: the leader of the group's offsets partition. When `__consumer_offsets` does not exist
    /// yet, the broker asks the controller to create it and answers COORDINATOR_NOT_AVAILABLE meanwhile.
    fn find_coordinator(&mut self, now: SimTime, to: ReplyTo, group: &str, out: &mut Effects) {
        let result = match self.image.topic_by_name(OFFSETS_TOPIC) {
            Some(t) => {
                let p = coordinator_partition(group, t.partitions.len() as u32);
                t.partitions[p as usize].leader.ok_or(ErrorCode::COORDINATOR_NOT_AVAILABLE)
            }
            None => {
                self.request_offsets_topic(now, out);
                Err(ErrorCode::COORDINATOR_NOT_AVAILABLE)
            }
        };
        reply(out, to, GroupResponse::FindCoordinator { result });
    }

    fn request_offsets_topic(&mut self, now: SimTime, out: &mut Effects) {
        if self.group_side.create_requested.is_some_and(|t| now < t.plus_ms(CREATE_RETRY_MS)) {
            return;
        }
        self.group_side.create_requested = Some(now);
        self.next_correlation += 1;
        let op = AdminOp::CreateTopics {
            name: OFFSETS_TOPIC.to_string(),
            partitions: self.config.get("offsets.topic.num.partitions") as i32,
            replication_factor: self.config.get("offsets.topic.replication.factor") as i32,
            configs: Vec::new(),
            start_index: None,
            assignment: None,
        };
        out.send(NodeId::Controller, Msg::AdminRequest { correlation: self.next_correlation, op });
    }

    /// The controller's answer to the auto-creation of `__consumer_offsets` (only a failure is worth a line).
    pub(crate) fn on_offsets_topic_created(
        &mut self,
        result: &crate::kafka::admin::AdminResult,
        out: &mut Effects,
    ) {
        if let Some(error) = result.error {
            if error != ErrorCode::TOPIC_ALREADY_EXISTS {
                out.trace(TraceKind::Admin {
                    op: "CreateTopics",
                    request: format!("{OFFSETS_TOPIC} (auto-created by broker {} for FindCoordinator)", self.id),
                    error: Some(error),
                    message: format!(
                        "{}; groups have no coordinator until offsets.topic.replication.factor brokers are up",
                        result.message
                    ),
                });
            }
        }
    }

    /// ListOffsets: the log start offset (earliest) or the high watermark (latest) of led partitions.
    fn list_offsets(&self, to: ReplyTo, partitions: &[(Tp, OffsetSpec)], out: &mut Effects) {
        let partitions = partitions
            .iter()
            .map(|(tp, spec)| {
                let r = match self.partitions.get(tp).filter(|p| p.is_leader()) {
                    None => Err(ErrorCode::NOT_LEADER_OR_FOLLOWER),
                    Some(p) => Ok(match spec {
                        OffsetSpec::Earliest => p.log.log_start_offset(),
                        OffsetSpec::Latest => p.log.high_watermark(),
                    }),
                };
                (*tp, r)
            })
            .collect();
        reply(out, to, GroupResponse::ListOffsets { partitions });
    }

    // ---- Leadership of offsets partitions ----

    /// After a metadata change: start loading the offsets partitions this broker now leads, unload the ones it
    /// no longer leads.
    pub(crate) fn sync_coordinator_shards(&mut self, now: SimTime, out: &mut Effects) {
        let Some((topic, n)) = self.offsets_topic() else { return };
        let mut led: VecMap<u32, LeaderEpoch> = VecMap::new();
        for p in 0..n {
            if let Some(part) = self.partitions.get(&Tp { topic, partition: p }).filter(|x| x.is_leader()) {
                led.insert(p, part.leader_epoch);
            }
        }
        let current: Vec<(u32, Shard)> = self.group_side.shards.iter().map(|(k, v)| (*k, *v)).collect();
        for (p, shard) in current {
            let epoch = match shard {
                Shard::Loading { epoch, .. } | Shard::Active { epoch } => epoch,
            };
            if led.get(&p) != Some(&epoch) {
                self.unload_shard(now, p, n, out);
            }
        }
        for (p, epoch) in led {
            if !self.group_side.shards.contains_key(&p) {
                let records = self.partitions[&Tp { topic, partition: p }].log.record_count() as u64;
                let until = now.plus_ms(5) + records;
                self.group_side.shards.insert(p, Shard::Loading { epoch, until });
            }
        }
        let image = Rc::clone(&self.image);
        self.group_side.coordinator.forget_deleted_topics(|t| image.topic_by_name(t).is_some(), out);
        self.flush_coordinator_writes(now, out);
        if !self.group_side.retention_started && !self.group_side.shards.is_empty() {
            self.group_side.retention_started = true;
            out.timer(
                now.plus_ms(self.config.ms("offsets.retention.check.interval.ms")),
                Timer::OffsetsRetention,
            );
        }
        self.arm_coordinator_timer(out);
    }

    fn unload_shard(&mut self, now: SimTime, shard: u32, n: u32, out: &mut Effects) {
        self.group_side.shards.remove(&shard);
        let pending = std::mem::take(&mut self.group_side.pending);
        let (gone, kept): (Vec<PendingWrite>, Vec<PendingWrite>) =
            pending.into_iter().partition(|w| w.shard == shard);
        self.group_side.pending = kept;
        let cfg = self.group_config();
        for w in gone {
            let c = &mut self.group_side.coordinator;
            c.write_done(now, &cfg, &w.group, w.then, Err(ErrorCode::NOT_COORDINATOR), out);
        }
        let shards = &self.group_side.shards;
        let groups =
            self.group_side.coordinator.unload(|g| shards.contains_key(&coordinator_partition(g, n)), out);
        out.trace(TraceKind::CoordinatorUnloaded { broker: self.id, partition: shard, groups });
    }

    fn finish_loads(&mut self, now: SimTime, out: &mut Effects) {
        let Some((topic, _)) = self.offsets_topic() else { return };
        let due: Vec<(u32, LeaderEpoch)> = self
            .group_side
            .shards
            .iter()
            .filter_map(|(p, s)| match s {
                Shard::Loading { epoch, until } if *until <= now => Some((*p, *epoch)),
                _ => None,
            })
            .collect();
        for (p, epoch) in due {
            let Some(part) = self.partitions.get(&Tp { topic, partition: p }) else { continue };
            let records = part.log.batches().iter().flat_map(|b| b.records.iter());
            let groups = self.group_side.coordinator.load(now, records);
            self.group_side.shards.insert(p, Shard::Active { epoch });
            out.trace(TraceKind::CoordinatorLoaded { broker: self.id, partition: p, groups });
        }
    }

    // ---- Writes ----

    /// Appends the coordinator's queued writes to their offsets partitions (acks=all: they complete when the
    /// high watermark passes them).
    fn flush_coordinator_writes(&mut self, now: SimTime, out: &mut Effects) {
        if self.group_side.flushing {
            return;
        }
        self.group_side.flushing = true;
        while !self.group_side.coordinator.writes.is_empty() {
            let writes = std::mem::take(&mut self.group_side.coordinator.writes);
            for w in writes {
                if let Err(e) = self.append_coordinator_write(now, w.clone(), out) {
                    let cfg = self.group_config();
                    self.group_side.coordinator.write_done(now, &cfg, &w.group, w.then, Err(e), out);
                }
            }
        }
        self.group_side.flushing = false;
        self.arm_coordinator_timer(out);
    }

    fn append_coordinator_write(
        &mut self,
        now: SimTime,
        w: super::coordinator::Write,
        out: &mut Effects,
    ) -> Result<(), ErrorCode> {
        let (topic, n) = self.offsets_topic().ok_or(ErrorCode::NOT_COORDINATOR)?;
        let shard = coordinator_partition(&w.group, n);
        let tp = Tp { topic, partition: shard };
        let timeout = self.config.ms("offsets.commit.timeout.ms");
        let p = self.partitions.get_mut(&tp).filter(|p| p.is_leader()).ok_or(ErrorCode::NOT_COORDINATOR)?;
        if p.isr.len() < p.min_insync_replicas {
            return Err(map_append_error(ErrorCode::NOT_ENOUGH_REPLICAS));
        }
        let size = w.records.iter().map(|r| r.value_bytes).sum::<u32>() + 61;
        let batch = Batch {
            base_offset: 0,
            epoch: 0,
            producer: None,
            append_time: now,
            size_bytes: size,
            records: w.records,
        };
        let Ok(Appended::New { last_offset, .. }) = p.append_as_leader(batch, now) else {
            return Err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        };
        self.group_side.pending.push(PendingWrite {
            shard,
            required: last_offset + 1,
            deadline: now.plus_ms(timeout),
            group: w.group,
            then: w.then,
        });
        self.on_leader_append(now, tp, out);
        Ok(())
    }

    /// The high watermark of a led partition moved: consumer fetches may be answered, coordinator writes complete.
    pub(crate) fn on_high_watermark_moved(&mut self, now: SimTime, tp: Tp, out: &mut Effects) {
        self.wake_consumer_fetches(now, tp, out);
        if self.group_side.pending.is_empty() || self.offsets_topic().is_none_or(|(t, _)| t != tp.topic) {
            return;
        }
        let hw = self.partitions.get(&tp).map_or(-1, |p| p.log.high_watermark());
        let pending = std::mem::take(&mut self.group_side.pending);
        let (done, kept): (Vec<PendingWrite>, Vec<PendingWrite>) =
            pending.into_iter().partition(|w| w.shard == tp.partition && w.required <= hw);
        self.group_side.pending = kept;
        let cfg = self.group_config();
        for w in done {
            self.group_side.coordinator.write_done(now, &cfg, &w.group, w.then, Ok(()), out);
        }
        self.flush_coordinator_writes(now, out);
    }

    // ---- Timers ----

    fn arm_coordinator_timer(&mut self, out: &mut Effects) {
        let s = &self.group_side;
        let loads = s.shards.values().filter_map(|sh| match sh {
            Shard::Loading { until, .. } => Some(*until),
            Shard::Active { .. } => None,
        });
        let writes = s.pending.iter().map(|w| w.deadline);
        let next = loads.chain(writes).chain(s.coordinator.next_deadline()).min();
        if let Some(next) = next {
            self.group_side.timer.arm(next, Timer::GroupCoordinator, out);
        }
    }

    /// The coordinator's timer: loads that finished, writes that timed out, group timers.
    pub(crate) fn on_coordinator_timer(&mut self, now: SimTime, out: &mut Effects) {
        if !self.group_side.timer.fire(now) {
            return;
        }
        self.finish_loads(now, out);
        let pending = std::mem::take(&mut self.group_side.pending);
        let (late, kept): (Vec<PendingWrite>, Vec<PendingWrite>) =
            pending.into_iter().partition(|w| w.deadline <= now);
        self.group_side.pending = kept;
        let cfg = self.group_config();
        for w in late {
            // offsets.commit.timeout.ms passed: REQUEST_TIMED_OUT, which the client sees as COORDINATOR_NOT_AVAILABLE.
            let e = map_append_error(ErrorCode::REQUEST_TIMED_OUT);
            self.group_side.coordinator.write_done(now, &cfg, &w.group, w.then, Err(e), out);
        }
        self.group_side.coordinator.on_timers(now, &cfg, out);
        self.flush_coordinator_writes(now, out);
        self.arm_coordinator_timer(out);
    }

    /// `offsets.retention.check.interval.ms` elapsed.
    pub(crate) fn on_offsets_retention(&mut self, now: SimTime, out: &mut Effects) {
        let cfg = self.group_config();
        let shards = &self.group_side.shards;
        let active: Vec<u32> =
            shards.iter().filter(|(_, s)| matches!(s, Shard::Active { .. })).map(|(p, _)| *p).collect();
        if !active.is_empty() {
            self.group_side.coordinator.expire_offsets(now, &cfg, out);
            self.flush_coordinator_writes(now, out);
        }
        out.timer(
            now.plus_ms(self.config.ms("offsets.retention.check.interval.ms")),
            Timer::OffsetsRetention,
        );
    }
}

impl Broker {
    /// A consumer-group admin call sent to this broker: listing the groups it coordinates, or describing,
    /// listing the offsets of, or deleting one of them (it must be the group's loaded coordinator).
    pub(crate) fn group_admin(&mut self, now: SimTime, op: &AdminOp, out: &mut Effects) -> AdminResult {
        if let AdminOp::ListConsumerGroups = op {
            return self.list_groups();
        }
        let Some(group) = op.group() else {
            return AdminResult::err(ErrorCode::INVALID_CONFIG, format!("{} is not a group call", op.name()));
        };
        let shard = coordinator_partition(group, self.offsets_partitions());
        match self.group_side.shards.get(&shard) {
            None => {
                return AdminResult::err(
                    ErrorCode::NOT_COORDINATOR,
                    format!("broker {} does not coordinate group {group}", self.id),
                )
            }
            Some(Shard::Loading { .. }) => {
                return AdminResult::err(
                    ErrorCode::COORDINATOR_LOAD_IN_PROGRESS,
                    format!("broker {} is still loading __consumer_offsets-{shard}", self.id),
                )
            }
            Some(Shard::Active { .. }) => {}
        }
        let c = &mut self.group_side.coordinator;
        let result = match op {
            AdminOp::DescribeConsumerGroups { .. } => c.describe(group),
            AdminOp::ListConsumerGroupOffsets { .. } => c.committed_offsets(group),
            AdminOp::DeleteConsumerGroups { .. } => c.delete_group(group, out),
            _ => AdminResult::err(ErrorCode::INVALID_CONFIG, format!("{} is not answered here", op.name())),
        };
        self.flush_coordinator_writes(now, out);
        result
    }

    /// The groups of the offsets partitions this broker leads and has loaded.
    fn list_groups(&self) -> AdminResult {
        let n = self.offsets_partitions();
        let shards = &self.group_side.shards;
        let groups: Vec<serde_json::Value> = self
            .group_side
            .coordinator
            .groups
            .iter()
            .filter(|(g, _)| matches!(shards.get(&coordinator_partition(g, n)), Some(Shard::Active { .. })))
            .map(|(name, g)| {
                serde_json::json!({
                    "group": name.as_ref(),
                    "state": g.state.name(),
                    "protocol_type": g.protocol_type.clone().unwrap_or_default(),
                    "coordinator": self.id.0,
                })
            })
            .collect();
        AdminResult { error: None, message: format!("{} group(s)", groups.len()), data: groups.into() }
    }
}

fn reply(out: &mut Effects, to: ReplyTo, resp: GroupResponse) {
    out.send(to.node, Msg::GroupResponse { correlation: to.correlation, resp: Box::new(resp) });
}

/// The answer of the request's kind carrying one error.
fn error_response(req: &GroupRequest, e: ErrorCode) -> GroupResponse {
    match req {
        GroupRequest::FindCoordinator { .. } => GroupResponse::FindCoordinator { result: Err(e) },
        GroupRequest::JoinGroup { member, .. } => {
            GroupResponse::JoinGroup { result: Err(e), member_id: member.member_id.clone() }
        }
        GroupRequest::SyncGroup { .. } => GroupResponse::SyncGroup { result: Err(e) },
        GroupRequest::Heartbeat { .. } => GroupResponse::Heartbeat { error: Some(e) },
        GroupRequest::LeaveGroup { .. } => GroupResponse::LeaveGroup { error: Some(e) },
        GroupRequest::OffsetCommit { .. } => GroupResponse::OffsetCommit { result: Err(e) },
        GroupRequest::OffsetFetch { .. } => GroupResponse::OffsetFetch { result: Err(e) },
        GroupRequest::ListOffsets { partitions } => GroupResponse::ListOffsets {
            partitions: partitions.iter().map(|(tp, _)| (*tp, Err(e))).collect(),
        },
    }
}
