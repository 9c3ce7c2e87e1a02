//! The admin client: sends the scenario's admin calls and reports their results in the trace.
//!
//! Most calls are one request to the controller (or a partition's leader). The consumer-group calls take the
//! steps Kafka's `Admin` client and `kafka-consumer-groups.sh` take:
//!
//! - `ListConsumerGroups` asks every broker for the groups it coordinates and merges the answers;
//! - `DescribeConsumerGroups` and `DeleteConsumerGroups` go to the group's coordinator;
//! - `ListConsumerGroupOffsets` fetches the committed offsets from the coordinator, then the high watermark of
//!   each partition from its leader (`ListOffsets`), to show the lag;
//! - `AlterConsumerGroupOffsets` to the earliest or latest offset first asks the leaders (`ListOffsets`), then
//!   commits the offsets as a client outside the group (generation -1), which the coordinator accepts only while
//!   the group is empty.
//!
//! The client finds coordinators and leaders in the metadata image it is handed with each call (it has fresh
//! metadata, as a client that just refreshed would).

use super::admin::{AdminOp, AdminResult, ResetTarget};
use super::assignor::TopicPartition;
use super::group::coordinator_partition;
use super::group::protocol::{GroupRequest, GroupResponse, MemberRef, OffsetSpec};
use super::group::OFFSETS_TOPIC;
use super::messages::Msg;
use super::metadata::MetadataImage;
use super::types::{BrokerId, ErrorCode, Offset, Tp};
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::{Effects, Input, NodeId, Timer};
use serde_json::{json, Value};
use std::rc::Rc;

/// How long the admin client waits for an answer (`default.api.timeout.ms` is 60 s; requests time out at 30 s).
const ADMIN_TIMEOUT_MS: u64 = 30_000;

/// The name the admin client gives itself in requests (and coordinators in their traces).
const CLIENT_ID: &str = "admin";

/// A call in progress, possibly waiting for several answers.
#[derive(Clone, Debug)]
struct Call {
    op: AdminOp,
    image: Rc<MetadataImage>,
    /// Requests of this call still unanswered.
    waiting: usize,
    /// What the answers so far gathered (merged group lists, committed offsets, high watermarks).
    gathered: Vec<Value>,
    /// Per partition, the offset ListOffsets returned.
    offsets: VecMap<Tp, Offset>,
}

/// What an answer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The call's admin request (or one of a fan-out).
    Admin,
    /// A `ListOffsets` for lag or for a reset target.
    ListOffsets,
    /// The `OffsetCommit` of a reset.
    Commit,
}

/// The admin client.
#[derive(Clone, Debug, Default)]
pub struct AdminClient {
    calls: VecMap<u64, Call>,
    /// correlation → (call, step).
    pending: VecMap<u64, (u64, Step)>,
    next_correlation: u64,
    next_call: u64,
    /// Every result so far, in order (for expectations and the CLI).
    pub results: Vec<(SimTime, AdminOp, AdminResult)>,
}

impl AdminClient {
    /// Sends `op` to `to` (the controller, or a partition's leader).
    pub fn call(&mut self, now: SimTime, to: NodeId, op: AdminOp, out: &mut Effects) {
        let id = self.new_call(op.clone(), Rc::new(MetadataImage::default()));
        self.send_admin(now, id, to, op, out);
    }

    /// Starts a consumer-group call, routed with `image`.
    pub fn call_group(&mut self, now: SimTime, op: AdminOp, image: Rc<MetadataImage>, out: &mut Effects) {
        let id = self.new_call(op.clone(), Rc::clone(&image));
        match &op {
            AdminOp::ListConsumerGroups => {
                let brokers: Vec<BrokerId> =
                    image.brokers.iter().filter(|(_, b)| !b.fenced).map(|(id, _)| *id).collect();
                if brokers.is_empty() {
                    let r = AdminResult::err(ErrorCode::BROKER_NOT_AVAILABLE, "no live broker to ask");
                    return self.fail(now, id, r, out);
                }
                for b in brokers {
                    self.send_admin(now, id, NodeId::Broker(b), op.clone(), out);
                }
            }
            AdminOp::AlterConsumerGroupOffsets { to: ResetTarget::Offset(o), .. } => {
                let o = *o;
                let tps = self.reset_partitions(id);
                let offsets = tps.into_iter().map(|(tp, _)| (tp, o)).collect();
                self.send_reset_commit(now, id, offsets, out);
            }
            AdminOp::AlterConsumerGroupOffsets { to, .. } => {
                let spec =
                    if *to == ResetTarget::Earliest { OffsetSpec::Earliest } else { OffsetSpec::Latest };
                let tps: Vec<Tp> = self.reset_partitions(id).into_iter().map(|(_, t)| t).collect();
                self.send_list_offsets(now, id, &tps, spec, out);
            }
            _ => match self.coordinator(id) {
                Ok(c) => self.send_admin(now, id, NodeId::Broker(c), op, out),
                Err(r) => self.fail(now, id, r, out),
            },
        }
    }

    /// Reports a call that could not even be sent (no leader to send it to).
    pub fn fail_now(&mut self, now: SimTime, op: AdminOp, result: AdminResult, out: &mut Effects) {
        self.report(now, op, result, out);
    }

    /// The single entry point.
    pub fn handle(&mut self, now: SimTime, input: Input, out: &mut Effects) {
        match input {
            Input::Message { msg: Msg::AdminResponse { correlation, result }, .. } => {
                if let Some((id, _)) = self.pending.remove(&correlation) {
                    self.on_admin_answer(now, id, result, out);
                }
            }
            Input::Message { msg: Msg::GroupResponse { correlation, resp }, .. } => {
                if let Some((id, step)) = self.pending.remove(&correlation) {
                    self.on_group_answer(now, id, step, *resp, out);
                }
            }
            Input::Timer(Timer::RequestTimeout { correlation }) => {
                if let Some((id, _)) = self.pending.remove(&correlation) {
                    let result = AdminResult::err(ErrorCode::TIMEOUT, "no answer within 30 s");
                    self.fail(now, id, result, out);
                }
            }
            _ => {}
        }
    }

    // ---- Sending ----

    fn new_call(&mut self, op: AdminOp, image: Rc<MetadataImage>) -> u64 {
        self.next_call += 1;
        let call = Call { op, image, waiting: 0, gathered: Vec::new(), offsets: VecMap::new() };
        self.calls.insert(self.next_call, call);
        self.next_call
    }

    fn correlation(&mut self, now: SimTime, id: u64, step: Step, out: &mut Effects) -> u64 {
        self.next_correlation += 1;
        let correlation = self.next_correlation;
        self.pending.insert(correlation, (id, step));
        if let Some(c) = self.calls.get_mut(&id) {
            c.waiting += 1;
        }
        out.timer(now.plus_ms(ADMIN_TIMEOUT_MS), Timer::RequestTimeout { correlation });
        correlation
    }

    fn send_admin(&mut self, now: SimTime, id: u64, to: NodeId, op: AdminOp, out: &mut Effects) {
        let correlation = self.correlation(now, id, Step::Admin, out);
        out.send(to, Msg::AdminRequest { correlation, op });
    }

    fn send_group(
        &mut self,
        now: SimTime,
        id: u64,
        step: Step,
        to: BrokerId,
        req: GroupRequest,
        out: &mut Effects,
    ) {
        let correlation = self.correlation(now, id, step, out);
        out.send(NodeId::Broker(to), Msg::Group { correlation, req: Box::new(req) });
    }

    /// ListOffsets to each partition's leader; a partition without one fails the call.
    fn send_list_offsets(&mut self, now: SimTime, id: u64, tps: &[Tp], spec: OffsetSpec, out: &mut Effects) {
        let image = Rc::clone(&self.calls[&id].image);
        let mut by_leader: VecMap<BrokerId, Vec<(Tp, OffsetSpec)>> = VecMap::new();
        for tp in tps {
            match image.partition(*tp).and_then(|p| p.leader) {
                Some(l) => by_leader.get_or_default(l).push((*tp, spec)),
                None => {
                    let r = AdminResult::err(
                        ErrorCode::LEADER_NOT_AVAILABLE,
                        format!("{} has no leader to ask for its offsets", image.tp_name(*tp)),
                    );
                    return self.fail(now, id, r, out);
                }
            }
        }
        if by_leader.is_empty() {
            return self.complete(now, id, out);
        }
        for (leader, partitions) in by_leader {
            self.send_group(
                now,
                id,
                Step::ListOffsets,
                leader,
                GroupRequest::ListOffsets { partitions },
                out,
            );
        }
    }

    fn send_reset_commit(
        &mut self,
        now: SimTime,
        id: u64,
        offsets: Vec<(TopicPartition, Offset)>,
        out: &mut Effects,
    ) {
        let AdminOp::AlterConsumerGroupOffsets { group, .. } = &self.calls[&id].op else { return };
        let group: Rc<str> = Rc::from(group.as_str());
        let coordinator = match self.coordinator(id) {
            Ok(c) => c,
            Err(r) => return self.fail(now, id, r, out),
        };
        let member = MemberRef { member_id: String::new(), instance_id: None, generation: -1 };
        let req = GroupRequest::OffsetCommit { group, member, offsets, client_id: Rc::from(CLIENT_ID) };
        self.send_group(now, id, Step::Commit, coordinator, req, out);
    }

    /// The group's coordinator: the leader of its `__consumer_offsets` partition.
    fn coordinator(&self, id: u64) -> Result<BrokerId, AdminResult> {
        let call = &self.calls[&id];
        let group = call.op.group().unwrap_or_default();
        let not_available = |why: String| {
            AdminResult::err(ErrorCode::COORDINATOR_NOT_AVAILABLE, format!("group {group}: {why}"))
        };
        let Some(t) = call.image.topic_by_name(OFFSETS_TOPIC) else {
            return Err(not_available(format!("{OFFSETS_TOPIC} does not exist yet (no group has started)")));
        };
        let p = coordinator_partition(group, t.partitions.len() as u32);
        t.partitions[p as usize]
            .leader
            .ok_or_else(|| not_available(format!("{OFFSETS_TOPIC}-{p} has no leader")))
    }

    /// The partitions a reset names (all of the topic's when none are listed).
    fn reset_partitions(&self, id: u64) -> Vec<(TopicPartition, Tp)> {
        let call = &self.calls[&id];
        let AdminOp::AlterConsumerGroupOffsets { topic, partitions, .. } = &call.op else {
            return Vec::new();
        };
        let Some(t) = call.image.topic_by_name(topic) else { return Vec::new() };
        let all: Vec<u32> = (0..t.partitions.len() as u32).collect();
        let chosen = if partitions.is_empty() { &all } else { partitions };
        chosen
            .iter()
            .filter(|p| (**p as usize) < t.partitions.len())
            .map(|p| (TopicPartition::new(topic.clone(), *p as i32), Tp { topic: t.id, partition: *p }))
            .collect()
    }

    // ---- Answers ----

    fn on_admin_answer(&mut self, now: SimTime, id: u64, result: AdminResult, out: &mut Effects) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        call.waiting -= 1;
        if result.error.is_some() {
            return self.fail(now, id, result, out);
        }
        match &call.op {
            AdminOp::ListConsumerGroups => {
                call.gathered.extend(result.data.as_array().cloned().unwrap_or_default());
                if call.waiting == 0 {
                    self.complete(now, id, out);
                }
            }
            AdminOp::ListConsumerGroupOffsets { .. } => {
                call.gathered = result.data.as_array().cloned().unwrap_or_default();
                let image = Rc::clone(&call.image);
                let tps: Vec<Tp> = call
                    .gathered
                    .iter()
                    .filter_map(|v| {
                        let t = image.topic_by_name(v["topic"].as_str()?)?;
                        Some(Tp { topic: t.id, partition: v["partition"].as_u64()? as u32 })
                    })
                    .collect();
                self.send_list_offsets(now, id, &tps, OffsetSpec::Latest, out);
            }
            _ => {
                let op = self.calls.remove(&id).expect("present").op;
                self.report(now, op, result, out);
            }
        }
    }

    fn on_group_answer(&mut self, now: SimTime, id: u64, step: Step, resp: GroupResponse, out: &mut Effects) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        call.waiting -= 1;
        match (step, resp) {
            (Step::ListOffsets, GroupResponse::ListOffsets { partitions }) => {
                for (tp, r) in partitions {
                    match r {
                        Ok(o) => {
                            call.offsets.insert(tp, o);
                        }
                        Err(e) => {
                            let r = AdminResult::err(
                                e,
                                format!("ListOffsets for {} failed", call.image.tp_name(tp)),
                            );
                            return self.fail(now, id, r, out);
                        }
                    }
                }
                if call.waiting > 0 {
                    return;
                }
                if let AdminOp::AlterConsumerGroupOffsets { .. } = call.op {
                    let targets = call.offsets.clone();
                    let offsets = self
                        .reset_partitions(id)
                        .into_iter()
                        .filter_map(|(tp, t)| targets.get(&t).map(|o| (tp, *o)))
                        .collect();
                    self.send_reset_commit(now, id, offsets, out);
                } else {
                    self.complete(now, id, out);
                }
            }
            (Step::Commit, GroupResponse::OffsetCommit { result }) => {
                let result = match result {
                    Ok(done) => {
                        let parts: Vec<String> = done.iter().map(|(tp, o)| format!("{tp}={o}")).collect();
                        AdminResult::ok(format!("committed {}", parts.join(", ")))
                    }
                    Err(ErrorCode::UNKNOWN_MEMBER_ID) => AdminResult::err(
                        ErrorCode::UNKNOWN_MEMBER_ID,
                        "the group has members: offsets can only be reset while it is empty (kafka-consumer-groups.sh \
                         says the group must be inactive); stop its consumers first",
                    ),
                    Err(e) => AdminResult::err(e, "the coordinator refused the commit"),
                };
                let op = self.calls.remove(&id).expect("present").op;
                self.report(now, op, result, out);
            }
            (_, other) => {
                let r = AdminResult::err(ErrorCode::INVALID_CONFIG, format!("unexpected {}", other.kind()));
                self.fail(now, id, r, out);
            }
        }
    }

    /// A call with every answer in: build its result.
    fn complete(&mut self, now: SimTime, id: u64, out: &mut Effects) {
        let Some(call) = self.calls.remove(&id) else { return };
        let result = match &call.op {
            AdminOp::ListConsumerGroups => {
                let mut groups = call.gathered.clone();
                sort::sort_by(&mut groups, |a, b| a["group"].as_str().cmp(&b["group"].as_str()));
                let shown: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        format!(
                            "{} ({})",
                            g["group"].as_str().unwrap_or(""),
                            g["state"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                let message = if shown.is_empty() { "no groups".to_string() } else { shown.join(", ") };
                AdminResult { error: None, message, data: groups.into() }
            }
            AdminOp::ListConsumerGroupOffsets { group } => lag_report(group, &call),
            _ => AdminResult::ok("done"),
        };
        self.report(now, call.op, result, out);
    }

    /// A call failed: report its first error once, and forget answers still to come.
    fn fail(&mut self, now: SimTime, id: u64, result: AdminResult, out: &mut Effects) {
        let Some(call) = self.calls.remove(&id) else { return };
        self.pending.retain(|_, (c, _)| *c != id);
        self.report(now, call.op, result, out);
    }

    fn report(&mut self, now: SimTime, op: AdminOp, result: AdminResult, out: &mut Effects) {
        out.trace(TraceKind::Admin {
            op: op.name(),
            request: describe_request(&op),
            error: result.error,
            message: result.message.clone(),
        });
        self.results.push((now, op, result));
    }
}

/// `kafka-consumer-groups.sh --describe`: per partition the committed offset, the log end (the high watermark,
/// what a read_uncommitted consumer can reach) and the lag.
fn lag_report(group: &str, call: &Call) -> AdminResult {
    let mut rows = Vec::new();
    let mut shown = Vec::new();
    for v in &call.gathered {
        let (Some(topic), Some(p), Some(offset)) =
            (v["topic"].as_str(), v["partition"].as_u64(), v["offset"].as_i64())
        else {
            continue;
        };
        let end = call
            .image
            .topic_by_name(topic)
            .and_then(|t| call.offsets.get(&Tp { topic: t.id, partition: p as u32 }))
            .copied();
        let lag = end.map(|e| (e - offset).max(0));
        shown.push(format!(
            "{topic}-{p} committed {offset}, log end {}, lag {}",
            end.map_or("?".to_string(), |e| e.to_string()),
            lag.map_or("?".to_string(), |l| l.to_string())
        ));
        rows.push(
            json!({ "partition": format!("{topic}-{p}"), "committed": offset, "log_end": end, "lag": lag }),
        );
    }
    let message = if shown.is_empty() {
        format!("group {group}: no committed offsets")
    } else {
        format!("group {group}: {}", shown.join("; "))
    };
    AdminResult { error: None, message, data: rows.into() }
}

fn describe_request(op: &AdminOp) -> String {
    match op {
        AdminOp::CreateTopics { name, partitions, replication_factor, .. } => {
            format!("{name} (partitions={partitions}, replication.factor={replication_factor})")
        }
        AdminOp::DeleteTopics { name } | AdminOp::DescribeConfigs { name } => name.clone(),
        AdminOp::CreatePartitions { name, total } => format!("{name} to {total} partitions"),
        AdminOp::DeleteRecords { topic, partition, before_offset } => {
            format!("{topic}-{partition} before offset {before_offset}")
        }
        AdminOp::IncrementalAlterConfigs { name, set, delete } => {
            let mut parts: Vec<String> = set
                .iter()
                .map(|(k, v)| format!("{k}={}", super::admin_controller::show_value(k, *v)))
                .collect();
            parts.extend(delete.iter().map(|k| format!("delete {k}")));
            format!("{name}: {}", parts.join(", "))
        }
        AdminOp::DescribeCluster | AdminOp::ListTopics | AdminOp::ListConsumerGroups => String::new(),
        AdminOp::DescribeTopics { names } => names.join(","),
        AdminOp::ElectLeaders { name } => name.clone().unwrap_or_else(|| "all topics".to_string()),
        AdminOp::DescribeConsumerGroups { group }
        | AdminOp::ListConsumerGroupOffsets { group }
        | AdminOp::DeleteConsumerGroups { group } => group.clone(),
        AdminOp::AlterConsumerGroupOffsets { group, topic, partitions, to } => {
            let which = if partitions.is_empty() {
                format!("{topic} (all partitions)")
            } else {
                partitions.iter().map(|p| format!("{topic}-{p}")).collect::<Vec<_>>().join(",")
            };
            let to = match to {
                ResetTarget::Offset(o) => format!("offset {o}"),
                ResetTarget::Earliest => "the earliest offset".to_string(),
                ResetTarget::Latest => "the latest offset".to_string(),
            };
            format!("{group}: {which} to {to}")
        }
    }
}
