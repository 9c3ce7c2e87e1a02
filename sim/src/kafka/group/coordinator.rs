//! The group coordinator of one broker (`GroupMetadataManager` + `OffsetMetadataManager` for classic groups).
//!
//! It is a part of the broker's state machine: the broker routes group requests here after checking that it
//! leads (and has loaded) the group's `__consumer_offsets` partition, and it appends the [`Write`]s this module
//! queues to that partition's log, calling [`GroupCoordinator::write_done`] once a write is replicated (or
//! failed). Everything a client waits for on a write (the leader's SyncGroup, an OffsetCommit, a static member's
//! rejoin) is answered only then, as in Kafka.
//!
//! All of the coordinator's timers (join, sync and heartbeat timers of every group and member, write timeouts)
//! are deadlines kept here; one broker timer is armed for the earliest ([`GroupCoordinator::next_deadline`]).

use super::classic::{ClassicGroup, GroupState, JoinTimer};
use super::member::{Member, ReplyTo};
use super::protocol::{GroupResponse, JoinResult, JoinedMember, MemberRef, CONSUMER_PROTOCOL_TYPE};
use super::records::{self, GroupValue, OffsetValue, StoredMember};
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::{VecMap, VecSet};
use crate::engine::Effects;
use crate::kafka::admin::AdminResult;
use crate::kafka::assignor::{Subscription, TopicPartition};
use crate::kafka::config::BrokerConfig;
use crate::kafka::log::Record;
use crate::kafka::messages::Msg;
use crate::kafka::types::{ErrorCode, Offset};
use std::rc::Rc;

/// The fixed heartbeat deadline of a member added in a rebalance (`CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS`).
pub const NEW_MEMBER_JOIN_TIMEOUT_MS: u64 = 300_000;

/// The coordinator settings, read from the broker config.
#[derive(Clone, Copy, Debug)]
pub struct GroupConfig {
    /// `group.initial.rebalance.delay.ms`.
    pub initial_rebalance_delay_ms: u64,
    /// `group.min.session.timeout.ms`.
    pub min_session_timeout_ms: u64,
    /// `group.max.session.timeout.ms`.
    pub max_session_timeout_ms: u64,
    /// `group.max.size`.
    pub max_size: usize,
    /// `offsets.retention.minutes` in ms.
    pub offsets_retention_ms: u64,
}

impl GroupConfig {
    /// From the broker's config.
    pub fn from_broker(c: &BrokerConfig) -> Self {
        Self {
            initial_rebalance_delay_ms: c.ms("group.initial.rebalance.delay.ms"),
            min_session_timeout_ms: c.ms("group.min.session.timeout.ms"),
            max_session_timeout_ms: c.ms("group.max.session.timeout.ms"),
            max_size: c.get("group.max.size").max(1) as usize,
            offsets_retention_ms: c.ms("offsets.retention.minutes").saturating_mul(60_000),
        }
    }
}

/// What to do when a write to `__consumer_offsets` is replicated (or fails).
#[derive(Clone, Debug)]
pub enum WriteAction {
    /// Nothing waits for it (an Empty group's record, expiry tombstones).
    Nothing,
    /// The leader's assignment of `generation`: store it and answer the parked SyncGroups.
    Sync { generation: i32, assignments: Vec<(String, Vec<TopicPartition>)> },
    /// An OffsetCommit: apply the offsets and answer.
    Commit { reply: ReplyTo, member: String, generation: i32, offsets: Vec<(TopicPartition, Offset)> },
    /// A static member's id swap in a Stable group: answer its JoinGroup with the current generation, or put
    /// `old` (the member as it was) back if the write fails.
    StaticRejoin { reply: ReplyTo, member_id: String, old: Box<Member> },
}

/// A write the broker must append to the group's offsets partition.
#[derive(Clone, Debug)]
pub struct Write {
    /// The group.
    pub group: Rc<str>,
    /// The records.
    pub records: Vec<Record>,
    /// What completes when it is replicated.
    pub then: WriteAction,
}

/// One group's committed offsets.
pub type Offsets = VecMap<TopicPartition, OffsetValue>;

/// The coordinator's state on one broker.
#[derive(Clone, Debug, Default)]
pub struct GroupCoordinator {
    /// The groups this broker coordinates (loaded).
    pub groups: VecMap<Rc<str>, ClassicGroup>,
    /// Committed offsets per group.
    pub offsets: VecMap<Rc<str>, Offsets>,
    /// Writes queued for the broker to append.
    pub writes: Vec<Write>,
    next_member: u64,
    next_record: u64,
}

/// Maps a failed append to what the client is told ([GMM]:5417-5436).
pub fn map_append_error(e: ErrorCode) -> ErrorCode {
    match e {
        ErrorCode::NOT_LEADER_OR_FOLLOWER => ErrorCode::NOT_COORDINATOR,
        _ => ErrorCode::COORDINATOR_NOT_AVAILABLE,
    }
}

fn reply(out: &mut Effects, to: ReplyTo, resp: GroupResponse) {
    out.send(to.node, Msg::GroupResponse { correlation: to.correlation, resp: Box::new(resp) });
}

fn join_error(out: &mut Effects, to: ReplyTo, e: ErrorCode, member_id: &str) {
    reply(out, to, GroupResponse::JoinGroup { result: Err(e), member_id: member_id.to_string() });
}

/// `topic-partition` labels.
pub fn labels(tps: &[TopicPartition]) -> Vec<String> {
    tps.iter().map(ToString::to_string).collect()
}

/// A JoinGroup request's fields.
#[derive(Clone, Debug)]
pub struct JoinRequest {
    /// Who.
    pub member: MemberRef,
    /// `client.id`.
    pub client_id: Rc<str>,
    /// `session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// The rebalance timeout.
    pub rebalance_timeout_ms: u64,
    /// Assignors with subscriptions.
    pub protocols: Rc<Vec<(String, Subscription)>>,
}

impl GroupCoordinator {
    fn seq(&mut self) -> u64 {
        self.next_record += 1;
        self.next_record
    }

    /// A fresh member id: `<instance id or client id>-<8 hex digits>` (Kafka appends a random UUID).
    fn new_member_id(&mut self, group: &ClassicGroup, prefix: &str, salt: u64) -> String {
        loop {
            self.next_member += 1;
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
            for b in prefix.bytes().chain(group.id.bytes()).chain(self.next_member.to_le_bytes()) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            let id = format!("{prefix}-{:08x}", h as u32);
            if !group.has_member(&id) && !group.pending_join.contains_key(&id) {
                return id;
            }
        }
    }

    // ---- JoinGroup ----

    /// JoinGroup ([GMM]:4038-4433).
    #[allow(clippy::too_many_arguments)]
    pub fn join(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        salt: u64,
        to: ReplyTo,
        group_id: &Rc<str>,
        req: JoinRequest,
        out: &mut Effects,
    ) {
        let member_id = req.member.member_id.clone();
        if req.session_timeout_ms < cfg.min_session_timeout_ms
            || req.session_timeout_ms > cfg.max_session_timeout_ms
        {
            return join_error(out, to, ErrorCode::INVALID_SESSION_TIMEOUT, &member_id);
        }
        if !self.groups.contains_key(group_id) {
            if !member_id.is_empty() {
                return join_error(out, to, ErrorCode::UNKNOWN_MEMBER_ID, &member_id);
            }
            self.groups.insert(Rc::clone(group_id), ClassicGroup::new(Rc::clone(group_id), now));
        }
        let mut g = self.groups.remove(group_id).expect("present");
        self.join_group(now, cfg, salt, to, &mut g, req, out);
        self.groups.insert(Rc::clone(group_id), g);
    }

    #[allow(clippy::too_many_arguments)]
    fn join_group(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        salt: u64,
        to: ReplyTo,
        g: &mut ClassicGroup,
        req: JoinRequest,
        out: &mut Effects,
    ) {
        let member_id = req.member.member_id.clone();
        if g.state == GroupState::Dead {
            return join_error(out, to, ErrorCode::COORDINATOR_NOT_AVAILABLE, &member_id);
        }
        if !accepts_join(g, &member_id, cfg.max_size) {
            if g.has_member(&member_id) {
                self.remove_member(now, g, &member_id, "the group is full (group.max.size)", out);
            }
            return join_error(out, to, ErrorCode::GROUP_MAX_SIZE_REACHED, "");
        }
        let names: Vec<&str> = req.protocols.iter().map(|(n, _)| n.as_str()).collect();
        if !g.supports_protocols(CONSUMER_PROTOCOL_TYPE, &names) {
            return join_error(out, to, ErrorCode::INCONSISTENT_GROUP_PROTOCOL, &member_id);
        }
        if member_id.is_empty() {
            self.join_unknown(now, cfg, salt, to, g, req, out);
        } else {
            self.join_known(now, cfg, to, g, req, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn join_unknown(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        salt: u64,
        to: ReplyTo,
        g: &mut ClassicGroup,
        req: JoinRequest,
        out: &mut Effects,
    ) {
        let prefix = req.member.instance_id.clone().unwrap_or_else(|| req.client_id.to_string());
        let new_id = self.new_member_id(g, &prefix, salt);
        if let Some(instance) = req.member.instance_id.clone() {
            if let Some(old_id) = g.static_members.get(&instance).cloned() {
                return self.replace_static_member(now, cfg, to, g, &old_id, new_id, req, out);
            }
            return self.add_member(now, cfg, to, g, new_id, req, out);
        }
        // KIP-394: a new dynamic member first gets its id and must come back with it. Nothing else changes, but
        // the pending id blocks the join phase until it rejoins or its session expires.
        g.pending_join.insert(new_id.clone(), now.plus_ms(req.session_timeout_ms));
        join_error(out, to, ErrorCode::MEMBER_ID_REQUIRED, &new_id);
    }

    fn join_known(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        to: ReplyTo,
        g: &mut ClassicGroup,
        req: JoinRequest,
        out: &mut Effects,
    ) {
        let member_id = req.member.member_id.clone();
        if g.pending_join.remove(&member_id).is_some() {
            return self.add_member(now, cfg, to, g, member_id, req, out);
        }
        if let Err(e) = g.validate_member(&member_id, req.member.instance_id.as_deref()) {
            return join_error(out, to, e, &member_id);
        }
        match g.state {
            GroupState::PreparingRebalance => {
                update_member(g, &member_id, &req, to);
                self.try_complete_join(now, cfg, g, out);
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                let m = g.member(&member_id).expect("validated");
                let same = *m.protocols == *req.protocols;
                let is_leader = g.leader.as_deref() == Some(member_id.as_str());
                let rebalance = !same || (g.state == GroupState::Stable && is_leader);
                if rebalance {
                    let reason = if g.state == GroupState::Stable && is_leader {
                        format!(
                            "the leader {} rejoined (a leader's JoinGroup always rebalances)",
                            m.client_id
                        )
                    } else {
                        format!("{} rejoined with a changed subscription", m.client_id)
                    };
                    update_member(g, &member_id, &req, to);
                    self.prepare_rebalance(now, cfg, g, reason, out);
                } else {
                    // Same metadata: the current generation, with the member list for the leader only.
                    let result = current_join_result(g, &member_id, is_leader, false);
                    reply(out, to, GroupResponse::JoinGroup { result: Ok(Box::new(result)), member_id });
                }
            }
            GroupState::Empty | GroupState::Dead => {
                join_error(out, to, ErrorCode::UNKNOWN_MEMBER_ID, &member_id)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_member(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        to: ReplyTo,
        g: &mut ClassicGroup,
        id: String,
        req: JoinRequest,
        out: &mut Effects,
    ) {
        if g.members.is_empty() {
            g.protocol_type = Some(CONSUMER_PROTOCOL_TYPE.to_string());
        }
        if g.leader.is_none() {
            g.leader = Some(id.clone());
        }
        if let Some(instance) = &req.member.instance_id {
            g.static_members.insert(instance.clone(), id.clone());
        }
        let client = req.client_id.to_string();
        g.members.push(Member {
            id,
            instance_id: req.member.instance_id.clone(),
            client_id: Rc::clone(&req.client_id),
            node: to.node,
            session_timeout_ms: req.session_timeout_ms,
            rebalance_timeout_ms: req.rebalance_timeout_ms,
            protocols: Rc::clone(&req.protocols),
            assignment: Vec::new(),
            awaiting_join: Some(to),
            awaiting_sync: None,
            is_new: true,
            heartbeat_deadline: Some(now.plus_ms(NEW_MEMBER_JOIN_TIMEOUT_MS)),
        });
        if g.state == GroupState::PreparingRebalance && g.previous_state == GroupState::Empty {
            g.new_member_added = true;
        }
        if g.can_rebalance() {
            self.prepare_rebalance(now, cfg, g, format!("{client} joined"), out);
        } else {
            self.try_complete_join(now, cfg, g, out);
        }
    }

    /// KIP-345: a static member rejoins with an unknown member id: the new process takes over the old member's
    /// place (and assignment); the old id is fenced.
    #[allow(clippy::too_many_arguments)]
    fn replace_static_member(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        to: ReplyTo,
        g: &mut ClassicGroup,
        old_id: &str,
        new_id: String,
        req: JoinRequest,
        out: &mut Effects,
    ) {
        let i = g.members.iter().position(|m| m.id == old_id).expect("static members are members");
        let old = g.members[i].clone();
        for parked in [old.awaiting_join, old.awaiting_sync].into_iter().flatten() {
            join_or_sync_fenced(out, parked, old.awaiting_join == Some(parked), old_id);
        }
        let old_protocol = g.protocol_name.clone();
        let m = &mut g.members[i];
        m.id = new_id.clone();
        m.node = to.node;
        m.protocols = Rc::clone(&req.protocols);
        m.session_timeout_ms = req.session_timeout_ms;
        m.rebalance_timeout_ms = req.rebalance_timeout_ms;
        m.awaiting_join = Some(to);
        m.awaiting_sync = None;
        m.heartbeat_deadline = Some(now.plus_ms(req.session_timeout_ms));
        let instance = req.member.instance_id.clone().expect("static");
        g.static_members.insert(instance.clone(), new_id.clone());
        if g.leader.as_deref() == Some(old_id) {
            g.leader = Some(new_id.clone());
        }
        if g.pending_sync.remove(old_id) {
            g.pending_sync.insert(new_id.clone());
        }
        let keeps = g.state == GroupState::Stable && g.select_protocol() == old_protocol;
        out.trace(TraceKind::StaticMemberReplaced {
            group: g.id.to_string(),
            instance_id: instance.clone(),
            consumer: req.client_id.to_string(),
            generation: g.generation,
            rebalance: !keeps && g.state != GroupState::PreparingRebalance,
        });
        match g.state {
            GroupState::Stable if keeps => {
                // No rebalance: persist the new id, then answer with the current generation.
                let value = group_value(g, now);
                let seq = self.seq();
                self.writes.push(Write {
                    group: Rc::clone(&g.id),
                    records: vec![records::group_record(&g.id, Some(&value), seq)],
                    then: WriteAction::StaticRejoin { reply: to, member_id: new_id, old: Box::new(old) },
                });
            }
            GroupState::PreparingRebalance => self.try_complete_join(now, cfg, g, out),
            _ => {
                let reason = format!("static member {} rejoined with a new member id", old.client_id);
                self.prepare_rebalance(now, cfg, g, reason, out);
            }
        }
    }

    // ---- The rebalance ----

    /// `prepareRebalance`: to PreparingRebalance; members must rejoin within the rebalance timeout.
    pub fn prepare_rebalance(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        g: &mut ClassicGroup,
        reason: String,
        out: &mut Effects,
    ) {
        if g.state == GroupState::CompletingRebalance {
            for m in &mut g.members {
                m.assignment.clear();
                if let Some(parked) = m.awaiting_sync.take() {
                    reply(
                        out,
                        parked,
                        GroupResponse::SyncGroup { result: Err(ErrorCode::REBALANCE_IN_PROGRESS) },
                    );
                }
            }
            g.sync_timer = None;
            g.pending_sync.clear();
        }
        let initial = g.state == GroupState::Empty;
        g.transition_to(GroupState::PreparingRebalance, now);
        out.trace(TraceKind::RebalanceStarted {
            group: g.id.to_string(),
            generation: g.generation,
            reason: reason.clone(),
        });
        g.rebalance_reason = reason;
        if initial {
            // The initial rebalance waits group.initial.rebalance.delay.ms for more members, even if all joined.
            let delay = cfg.initial_rebalance_delay_ms;
            let remaining = g.rebalance_timeout_ms().saturating_sub(delay);
            g.join_timer =
                Some(JoinTimer { deadline: now.plus_ms(delay), initial: Some((delay, remaining)) });
        } else if g.has_all_members_joined() {
            self.complete_join(now, cfg, g, out);
        } else {
            g.join_timer = Some(JoinTimer { deadline: now.plus_ms(g.rebalance_timeout_ms()), initial: None });
        }
    }

    /// Completes the join phase if every member has rejoined (never early in the initial rebalance).
    fn try_complete_join(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        g: &mut ClassicGroup,
        out: &mut Effects,
    ) {
        if g.state == GroupState::PreparingRebalance
            && g.previous_state != GroupState::Empty
            && g.has_all_members_joined()
        {
            self.complete_join(now, cfg, g, out);
        }
    }

    /// The join timer fired.
    fn on_join_timer(&mut self, now: SimTime, cfg: &GroupConfig, g: &mut ClassicGroup, out: &mut Effects) {
        let Some(timer) = g.join_timer.take() else { return };
        if let Some((delay, remaining)) = timer.initial {
            if g.new_member_added && remaining != 0 {
                // Each newcomer during the initial delay buys another delay, within the rebalance timeout.
                g.new_member_added = false;
                let next = cfg.initial_rebalance_delay_ms.min(remaining);
                let left = remaining.saturating_sub(delay);
                g.join_timer = Some(JoinTimer { deadline: now.plus_ms(next), initial: Some((next, left)) });
                return;
            }
        }
        self.complete_join(now, cfg, g, out);
    }

    /// The join phase ends: members that did not rejoin are dropped (static ones kept), the generation is bumped
    /// and every parked JoinGroup is answered ([GMM]:4466-4557).
    fn complete_join(&mut self, now: SimTime, cfg: &GroupConfig, g: &mut ClassicGroup, out: &mut Effects) {
        g.join_timer = None;
        let gone: Vec<String> = g
            .members
            .iter()
            .filter(|m| m.awaiting_join.is_none() && m.instance_id.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            let client = g.client_of(&id);
            g.remove_member(&id);
            out.trace(TraceKind::MemberRemoved {
                group: g.id.to_string(),
                member: client,
                reason: "did not rejoin within the rebalance timeout".to_string(),
            });
        }
        if !g.members.is_empty() && g.awaiting_join_count() == 0 {
            // Only static members that have not rejoined are left: wait for them (or their session expiry).
            g.join_timer = Some(JoinTimer { deadline: now.plus_ms(g.rebalance_timeout_ms()), initial: None });
            return;
        }
        if g.leader.as_ref().is_none_or(|l| g.member(l).is_none_or(|m| m.awaiting_join.is_none())) {
            g.leader = g.members.iter().find(|m| m.awaiting_join.is_some()).map(|m| m.id.clone());
        }
        g.generation += 1;
        if g.members.is_empty() {
            g.protocol_name = None;
            g.transition_to(GroupState::Empty, now);
            out.trace(TraceKind::GroupEmpty { group: g.id.to_string(), generation: g.generation });
            let value = group_value(g, now);
            let seq = self.seq();
            self.writes.push(Write {
                group: Rc::clone(&g.id),
                records: vec![records::group_record(&g.id, Some(&value), seq)],
                then: WriteAction::Nothing,
            });
            return;
        }
        g.protocol_name = g.select_protocol();
        g.transition_to(GroupState::CompletingRebalance, now);
        let protocol = g.protocol_name.clone().unwrap_or_default();
        out.trace(TraceKind::JoinCompleted {
            group: g.id.to_string(),
            generation: g.generation,
            protocol: protocol.clone(),
            leader: g.leader.as_deref().map(|l| g.client_of(l)).unwrap_or_default(),
            members: g
                .members
                .iter()
                .filter(|m| m.awaiting_join.is_some())
                .map(|m| m.client_id.to_string())
                .collect(),
            kept: g
                .members
                .iter()
                .filter(|m| m.awaiting_join.is_none())
                .map(|m| m.client_id.to_string())
                .collect(),
        });
        let leader = g.leader.clone().unwrap_or_default();
        let all = joined_members(g, &protocol);
        let generation = g.generation;
        for m in &mut g.members {
            if let Some(parked) = m.awaiting_join.take() {
                let is_leader = m.id == leader;
                let result = JoinResult {
                    generation,
                    protocol_name: protocol.clone(),
                    leader: leader.clone(),
                    member_id: m.id.clone(),
                    members: if is_leader { all.clone() } else { Vec::new() },
                    skip_assignment: false,
                };
                let member_id = m.id.clone();
                reply(out, parked, GroupResponse::JoinGroup { result: Ok(Box::new(result)), member_id });
            }
            m.heartbeat_deadline = Some(now.plus_ms(m.session_timeout_ms));
            m.is_new = false;
        }
        g.pending_sync = VecSet::from_iter(g.members.iter().map(|m| m.id.clone()));
        g.sync_timer = Some((now.plus_ms(g.rebalance_timeout_ms()), g.generation));
        let _ = cfg;
    }

    // ---- SyncGroup ----

    /// SyncGroup ([GMM]:5222-5353).
    #[allow(clippy::too_many_arguments)]
    pub fn sync(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        to: ReplyTo,
        group_id: &Rc<str>,
        member: &MemberRef,
        protocol_name: Option<&str>,
        assignments: Vec<(String, Vec<TopicPartition>)>,
        out: &mut Effects,
    ) {
        let err = |out: &mut Effects, e| reply(out, to, GroupResponse::SyncGroup { result: Err(e) });
        let Some(mut g) = self.groups.remove(group_id) else {
            return err(out, ErrorCode::UNKNOWN_MEMBER_ID);
        };
        let checked = (|| {
            if g.state == GroupState::Empty {
                return Err(ErrorCode::UNKNOWN_MEMBER_ID);
            }
            if g.state == GroupState::Dead {
                return Err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
            }
            g.validate_member(&member.member_id, member.instance_id.as_deref())?;
            if member.generation != g.generation {
                return Err(ErrorCode::ILLEGAL_GENERATION);
            }
            if protocol_name.is_some_and(|p| Some(p) != g.protocol_name.as_deref()) {
                return Err(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
            }
            Ok(())
        })();
        match (checked, g.state) {
            (Err(e), _) => err(out, e),
            (Ok(()), GroupState::PreparingRebalance) => err(out, ErrorCode::REBALANCE_IN_PROGRESS),
            (Ok(()), GroupState::CompletingRebalance) => {
                g.member_mut(&member.member_id).expect("validated").awaiting_sync = Some(to);
                g.pending_sync.remove(&member.member_id);
                if g.pending_sync.is_empty() {
                    g.sync_timer = None;
                }
                if g.leader.as_deref() == Some(member.member_id.as_str()) {
                    self.store_assignment(now, &g, assignments);
                }
            }
            (Ok(()), _) => {
                g.pending_sync.remove(&member.member_id);
                let m = g.member(&member.member_id).expect("validated");
                reply(out, to, GroupResponse::SyncGroup { result: Ok(m.assignment.clone()) });
            }
        }
        let _ = cfg;
        self.groups.insert(Rc::clone(group_id), g);
    }

    /// The leader's assignment: every member gets an entry (empty if the leader left it out), written as one
    /// group-metadata record; the group becomes Stable when it is replicated.
    fn store_assignment(
        &mut self,
        now: SimTime,
        g: &ClassicGroup,
        given: Vec<(String, Vec<TopicPartition>)>,
    ) {
        let assignments: Vec<(String, Vec<TopicPartition>)> = g
            .members
            .iter()
            .map(|m| {
                let mine =
                    given.iter().find(|(id, _)| *id == m.id).map(|(_, a)| a.clone()).unwrap_or_default();
                (m.id.clone(), mine)
            })
            .collect();
        let mut value = group_value(g, now);
        for sm in &mut value.members {
            if let Some((_, a)) = assignments.iter().find(|(id, _)| *id == sm.member_id) {
                sm.assignment = a.iter().map(|tp| (tp.topic.clone(), tp.partition)).collect();
            }
        }
        let seq = self.seq();
        self.writes.push(Write {
            group: Rc::clone(&g.id),
            records: vec![records::group_record(&g.id, Some(&value), seq)],
            then: WriteAction::Sync { generation: g.generation, assignments },
        });
    }

    // ---- Heartbeat, LeaveGroup ----

    /// Heartbeat ([GMM]:5534-5604).
    pub fn heartbeat(
        &mut self,
        now: SimTime,
        to: ReplyTo,
        group_id: &Rc<str>,
        member: &MemberRef,
        out: &mut Effects,
    ) {
        let error = match self.groups.get_mut(group_id) {
            None => Some(ErrorCode::UNKNOWN_MEMBER_ID),
            Some(g) => heartbeat_error(now, g, member),
        };
        reply(out, to, GroupResponse::Heartbeat { error });
    }

    /// LeaveGroup ([GMM]:5806-5948).
    pub fn leave(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        to: ReplyTo,
        group_id: &Rc<str>,
        member: &MemberRef,
        out: &mut Effects,
    ) {
        let Some(mut g) = self.groups.remove(group_id) else {
            return reply(out, to, GroupResponse::LeaveGroup { error: Some(ErrorCode::UNKNOWN_MEMBER_ID) });
        };
        let error = self.leave_group(now, cfg, &mut g, member, out);
        self.groups.insert(Rc::clone(group_id), g);
        reply(out, to, GroupResponse::LeaveGroup { error });
    }

    fn leave_group(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        g: &mut ClassicGroup,
        member: &MemberRef,
        out: &mut Effects,
    ) -> Option<ErrorCode> {
        if g.state == GroupState::Dead {
            return Some(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        }
        let id = if member.member_id.is_empty() {
            // An admin removes a static member by its instance id.
            match member.instance_id.as_ref().and_then(|i| g.static_members.get(i)) {
                Some(id) => id.clone(),
                None => return Some(ErrorCode::UNKNOWN_MEMBER_ID),
            }
        } else {
            if g.pending_join.remove(&member.member_id).is_some() {
                self.try_complete_join(now, cfg, g, out);
                return None;
            }
            if let Err(e) = g.validate_member(&member.member_id, member.instance_id.as_deref()) {
                return Some(e);
            }
            member.member_id.clone()
        };
        let client = g.client_of(&id);
        self.remove_member(now, g, &id, "it sent LeaveGroup", out);
        self.after_removal(now, cfg, g, format!("{client} left the group"), out);
        None
    }

    /// Removes a member: its parked join is answered UNKNOWN_MEMBER_ID, with no member id ([GMM]:4641-4644).
    fn remove_member(&mut self, _now: SimTime, g: &mut ClassicGroup, id: &str, why: &str, out: &mut Effects) {
        if let Some(m) = g.remove_member(id) {
            if let Some(parked) = m.awaiting_join {
                join_error(out, parked, ErrorCode::UNKNOWN_MEMBER_ID, "");
            }
            out.trace(TraceKind::MemberRemoved {
                group: g.id.to_string(),
                member: m.client_id.to_string(),
                reason: why.to_string(),
            });
        }
    }

    /// After members were removed: Stable/CompletingRebalance rebalance, PreparingRebalance may complete.
    fn after_removal(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        g: &mut ClassicGroup,
        reason: String,
        out: &mut Effects,
    ) {
        match g.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, cfg, g, reason, out)
            }
            GroupState::PreparingRebalance => self.try_complete_join(now, cfg, g, out),
            _ => {}
        }
    }

    // ---- Offsets ----

    /// OffsetCommit ([CG]:823-864, [OMM]:302-337).
    pub fn commit(
        &mut self,
        now: SimTime,
        to: ReplyTo,
        group_id: &Rc<str>,
        (member, client_id): (&MemberRef, &str),
        offsets: Vec<(TopicPartition, Offset)>,
        out: &mut Effects,
    ) {
        if !self.groups.contains_key(group_id) {
            if member.generation >= 0 {
                let resp = GroupResponse::OffsetCommit { result: Err(ErrorCode::ILLEGAL_GENERATION) };
                return reply(out, to, resp);
            }
            // A "simple" group: created by a commit of a consumer that uses assign().
            self.groups.insert(Rc::clone(group_id), ClassicGroup::new(Rc::clone(group_id), now));
        }
        let g = self.groups.get_mut(group_id).expect("present");
        if let Err(e) = commit_check(now, g, member) {
            return reply(out, to, GroupResponse::OffsetCommit { result: Err(e) });
        }
        let client =
            if member.member_id.is_empty() { client_id.to_string() } else { g.client_of(&member.member_id) };
        let records = offsets
            .iter()
            .map(|(tp, o)| {
                self.next_record += 1;
                let value = OffsetValue { offset: *o, commit_ms: now.as_ms() };
                records::offset_record(group_id, tp, Some(&value), self.next_record)
            })
            .collect();
        self.writes.push(Write {
            group: Rc::clone(group_id),
            records,
            then: WriteAction::Commit { reply: to, member: client, generation: member.generation, offsets },
        });
    }

    /// OffsetFetch: committed offsets, -1 where none ([OMM]:735-856).
    pub fn fetch_offsets(
        &self,
        to: ReplyTo,
        group_id: &Rc<str>,
        partitions: &[TopicPartition],
        out: &mut Effects,
    ) {
        let stored = self.offsets.get(group_id);
        let dead = self.groups.get(group_id).is_none_or(|g| g.state == GroupState::Dead);
        let result = partitions
            .iter()
            .map(|tp| {
                let o = if dead { None } else { stored.and_then(|s| s.get(tp)).map(|v| v.offset) };
                (tp.clone(), o.unwrap_or(-1))
            })
            .collect();
        reply(out, to, GroupResponse::OffsetFetch { result: Ok(result) });
    }

    // ---- Writes ----

    /// A write queued by [`Write`] was replicated (`Ok`) or failed (`Err`, already mapped for the client).
    pub fn write_done(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        group_id: &Rc<str>,
        action: WriteAction,
        result: Result<(), ErrorCode>,
        out: &mut Effects,
    ) {
        match action {
            WriteAction::Nothing => {}
            WriteAction::Commit { reply: to, member, generation, offsets } => {
                if let Err(e) = result {
                    return reply(out, to, GroupResponse::OffsetCommit { result: Err(e) });
                }
                let stored = self.offsets.get_or_default(Rc::clone(group_id));
                for (tp, o) in &offsets {
                    stored.insert(tp.clone(), OffsetValue { offset: *o, commit_ms: now.as_ms() });
                }
                out.trace(TraceKind::OffsetsCommitted {
                    group: group_id.to_string(),
                    member,
                    generation,
                    offsets: VecMap::from_iter(offsets.iter().map(|(tp, o)| (tp.to_string(), *o))),
                });
                reply(out, to, GroupResponse::OffsetCommit { result: Ok(offsets) });
            }
            WriteAction::Sync { generation, assignments } => {
                let Some(mut g) = self.groups.remove(group_id) else { return };
                if g.state == GroupState::CompletingRebalance && g.generation == generation {
                    match result {
                        Ok(()) => complete_sync(now, &mut g, assignments, out),
                        Err(e) => {
                            for m in &mut g.members {
                                m.assignment.clear();
                                if let Some(parked) = m.awaiting_sync.take() {
                                    reply(out, parked, GroupResponse::SyncGroup { result: Err(e) });
                                }
                            }
                            let reason = format!("storing the assignment failed ({e})");
                            self.prepare_rebalance(now, cfg, &mut g, reason, out);
                        }
                    }
                }
                self.groups.insert(Rc::clone(group_id), g);
            }
            WriteAction::StaticRejoin { reply: to, member_id, old } => {
                let Some(g) = self.groups.get_mut(group_id) else { return };
                let Some(m) = g.member_mut(&member_id) else { return };
                let Some(parked) = m.awaiting_join.take().filter(|p| *p == to) else { return };
                if let Err(e) = result {
                    // The new id was not stored: the old member comes back, as it was ([GMM]:5137-5156).
                    revert_static_member(now, g, &member_id, *old);
                    return join_error(out, parked, e, "");
                }
                let is_leader = g.leader.as_deref() == Some(member_id.as_str());
                // KIP-814: a returning static leader gets the members but keeps the current assignment.
                let result = current_join_result(g, &member_id, is_leader, is_leader);
                reply(out, parked, GroupResponse::JoinGroup { result: Ok(Box::new(result)), member_id });
            }
        }
    }

    // ---- Timers ----

    /// The earliest deadline of any group timer.
    pub fn next_deadline(&self) -> Option<SimTime> {
        let mut next: Option<SimTime> = None;
        let mut take = |t: SimTime| next = Some(next.map_or(t, |n| n.min(t)));
        for g in self.groups.values() {
            if let Some(j) = &g.join_timer {
                take(j.deadline);
            }
            if let Some((t, _)) = g.sync_timer {
                take(t);
            }
            g.pending_join.values().for_each(|t| take(*t));
            g.members.iter().filter_map(|m| m.heartbeat_deadline).for_each(&mut take);
        }
        next
    }

    /// Fires every group timer that is due.
    pub fn on_timers(&mut self, now: SimTime, cfg: &GroupConfig, out: &mut Effects) {
        let ids: Vec<Rc<str>> = self.groups.keys().cloned().collect();
        for id in ids {
            let mut g = self.groups.remove(&id).expect("listed");
            self.group_timers(now, cfg, &mut g, out);
            self.groups.insert(id, g);
        }
    }

    fn group_timers(&mut self, now: SimTime, cfg: &GroupConfig, g: &mut ClassicGroup, out: &mut Effects) {
        let expired: Vec<String> =
            g.pending_join.iter().filter(|(_, t)| **t <= now).map(|(k, _)| k.clone()).collect();
        for id in expired {
            g.pending_join.remove(&id);
            self.try_complete_join(now, cfg, g, out);
        }
        let due: Vec<String> = g
            .members
            .iter()
            .filter(|m| m.heartbeat_deadline.is_some_and(|t| t <= now))
            .map(|m| m.id.clone())
            .collect();
        for id in due {
            self.on_session_expiry(now, cfg, g, &id, out);
        }
        if g.join_timer.is_some_and(|j| j.deadline <= now) {
            self.on_join_timer(now, cfg, g, out);
        }
        if let Some((t, generation)) = g.sync_timer {
            if t <= now {
                g.sync_timer = None;
                self.on_sync_timer(now, cfg, g, generation, out);
            }
        }
    }

    /// A member's heartbeat timer fired ([GMM]:4583-4621).
    fn on_session_expiry(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        g: &mut ClassicGroup,
        id: &str,
        out: &mut Effects,
    ) {
        let Some(m) = g.member_mut(id) else { return };
        if m.has_satisfied_heartbeat() {
            // Parked in a join or sync: the rebalance's own timers decide; this timer is not re-armed.
            m.heartbeat_deadline = None;
            return;
        }
        let why = if m.is_new {
            format!("it was added {} s ago and never completed its join", NEW_MEMBER_JOIN_TIMEOUT_MS / 1000)
        } else {
            format!("session timeout: no heartbeat for {} ms (session.timeout.ms)", m.session_timeout_ms)
        };
        let client = m.client_id.to_string();
        self.remove_member(now, g, id, &why, out);
        self.after_removal(now, cfg, g, format!("{client}'s session expired"), out);
    }

    /// The sync timer fired: members that never sent SyncGroup are removed ([GMM]:5014-5050).
    fn on_sync_timer(
        &mut self,
        now: SimTime,
        cfg: &GroupConfig,
        g: &mut ClassicGroup,
        generation: i32,
        out: &mut Effects,
    ) {
        let live = matches!(g.state, GroupState::CompletingRebalance | GroupState::Stable);
        if generation != g.generation || !live || g.pending_sync.is_empty() {
            return;
        }
        let late: Vec<String> = g.pending_sync.iter().cloned().collect();
        let names: Vec<String> = late.iter().map(|id| g.client_of(id)).collect();
        for id in &late {
            self.remove_member(now, g, id, "it did not send SyncGroup within the rebalance timeout", out);
        }
        g.pending_sync.clear();
        self.prepare_rebalance(now, cfg, g, format!("{} did not sync in time", names.join(", ")), out);
    }

    // ---- Loading and unloading ----

    /// Replays an offsets partition's records (last record wins per key; tombstones delete) and installs the
    /// groups it holds: a group with members comes back Stable at its stored generation, with fresh session
    /// timers; a rebalance that was in progress is lost ([GMM]:3924-3980).
    pub fn load<'a>(&mut self, now: SimTime, records: impl Iterator<Item = &'a Record>) -> Vec<String> {
        let mut groups: VecMap<String, Option<GroupValue>> = VecMap::new();
        let mut offsets: VecMap<String, VecMap<TopicPartition, Option<OffsetValue>>> = VecMap::new();
        for r in records {
            match records::decode(r) {
                Some(records::Decoded::Group { group, value }) => {
                    groups.insert(group, value);
                }
                Some(records::Decoded::Offset { group, tp, value }) => {
                    offsets.entry(group).or_default().insert(tp, value);
                }
                None => {}
            }
        }
        let mut loaded = Vec::new();
        for (name, value) in groups {
            let id: Rc<str> = Rc::from(name.as_str());
            match value {
                Some(v) => {
                    self.groups.insert(Rc::clone(&id), restore_group(Rc::clone(&id), &v, now));
                    loaded.push(name);
                }
                None => {
                    self.groups.remove(&id);
                }
            }
        }
        for (name, entries) in offsets {
            let id: Rc<str> = Rc::from(name.as_str());
            let stored = self.offsets.get_or_default(Rc::clone(&id));
            for (tp, v) in entries {
                match v {
                    Some(v) => {
                        stored.insert(tp, v);
                    }
                    None => {
                        stored.remove(&tp);
                    }
                }
            }
            if !self.groups.contains_key(&id) && !stored.is_empty() {
                // Offsets without group metadata: a simple group (assign() consumers).
                self.groups.insert(Rc::clone(&id), ClassicGroup::new(Rc::clone(&id), now));
                loaded.push(name);
            }
        }
        sort::sort(&mut loaded);
        loaded.dedup();
        loaded
    }

    /// Drops the groups for which `owned` is false: parked requests get NOT_COORDINATOR ([GMM]:3862-3903).
    pub fn unload(&mut self, owned: impl Fn(&str) -> bool, out: &mut Effects) -> Vec<String> {
        let gone: Vec<Rc<str>> = self.groups.keys().filter(|g| !owned(g)).cloned().collect();
        for id in &gone {
            let g = self.groups.remove(id).expect("listed");
            for m in &g.members {
                if let Some(parked) = m.awaiting_join {
                    join_error(out, parked, ErrorCode::NOT_COORDINATOR, &m.id);
                }
                if let Some(parked) = m.awaiting_sync {
                    reply(out, parked, GroupResponse::SyncGroup { result: Err(ErrorCode::NOT_COORDINATOR) });
                }
            }
            self.offsets.remove(id);
        }
        let orphans: Vec<Rc<str>> = self.offsets.keys().filter(|g| !owned(g)).cloned().collect();
        for id in orphans {
            self.offsets.remove(&id);
        }
        gone.iter().map(ToString::to_string).collect()
    }

    // ---- Offset expiry ----

    /// Removes expired offsets (KIP-211): an Empty consumer group's offsets once it has been Empty for
    /// `offsets.retention.minutes`; a simple group's offsets that long after their commit; a Stable group's
    /// offsets of topics nobody subscribes to. A group left with nothing is deleted.
    pub fn expire_offsets(&mut self, now: SimTime, cfg: &GroupConfig, out: &mut Effects) {
        let ids: Vec<Rc<str>> = self.offsets.keys().cloned().collect();
        for id in ids {
            let Some(g) = self.groups.get(&id) else { continue };
            let retention = cfg.offsets_retention_ms;
            let subscribed: Vec<String> = g
                .members
                .iter()
                .filter_map(|m| g.protocol_name.as_deref().and_then(|p| m.subscription(p)))
                .flat_map(|s| s.topics.clone())
                .collect();
            let stored = self.offsets.get(&id).expect("listed");
            let expired: Vec<TopicPartition> = stored
                .iter()
                .filter(|(tp, v)| match (g.state, &g.protocol_type) {
                    (GroupState::Empty, Some(_)) => now.since(g.state_since) / 1000 >= retention,
                    (GroupState::Empty, None) => now.as_ms().saturating_sub(v.commit_ms) >= retention,
                    (GroupState::Stable, Some(_)) => {
                        !subscribed.contains(&tp.topic)
                            && now.as_ms().saturating_sub(v.commit_ms) >= retention
                    }
                    _ => false,
                })
                .map(|(tp, _)| tp.clone())
                .collect();
            if expired.is_empty() {
                continue;
            }
            self.delete_offsets(&id, &expired, "offsets.retention.minutes passed", out);
        }
    }

    // ---- Admin calls ----

    /// `DescribeConsumerGroups`: an unknown group is described as Dead, with no error, as Kafka does.
    pub fn describe(&self, group: &str) -> AdminResult {
        let Some(g) = self.groups.get(group) else {
            let data = serde_json::json!({ "group": group, "state": "Dead", "members": [] });
            return AdminResult {
                error: None,
                message: format!("group {group}: Dead (no such group)"),
                data,
            };
        };
        let members: Vec<serde_json::Value> = g
            .members
            .iter()
            .map(|m| {
                let mut parts = labels(&m.assignment);
                sort::sort(&mut parts);
                serde_json::json!({
                    "member_id": m.id,
                    "client_id": m.client_id.as_ref(),
                    "instance_id": m.instance_id,
                    "assignment": parts,
                })
            })
            .collect();
        let shown: Vec<String> = members
            .iter()
            .map(|m| {
                let parts: Vec<&str> =
                    m["assignment"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
                format!("{} [{}]", m["client_id"].as_str().unwrap_or(""), parts.join(", "))
            })
            .collect();
        let message = format!(
            "group {group}: {}, generation {}, assignor {}, {} member(s){}",
            g.state.name(),
            g.generation,
            g.protocol_name.as_deref().unwrap_or("-"),
            g.members.len(),
            if shown.is_empty() { String::new() } else { format!(": {}", shown.join("; ")) }
        );
        let data = serde_json::json!({
            "group": group,
            "state": g.state.name(),
            "generation": g.generation,
            "protocol": g.protocol_name,
            "leader": g.leader.as_deref().map(|l| g.client_of(l)),
            "members": members,
        });
        AdminResult { error: None, message, data }
    }

    /// `ListConsumerGroupOffsets` (an OffsetFetch of every partition): the group's committed offsets.
    pub fn committed_offsets(&self, group: &str) -> AdminResult {
        let offsets: Vec<serde_json::Value> = self
            .offsets
            .get(group)
            .into_iter()
            .flatten()
            .map(|(tp, v)| serde_json::json!({ "topic": tp.topic, "partition": tp.partition, "offset": v.offset }))
            .collect();
        let message = format!("group {group}: {} committed offset(s)", offsets.len());
        AdminResult { error: None, message, data: offsets.into() }
    }

    /// `DeleteConsumerGroups`: only a group without members; its metadata and offsets get tombstones.
    pub fn delete_group(&mut self, group: &str, out: &mut Effects) -> AdminResult {
        let Some(g) = self.groups.get(group) else {
            return AdminResult::err(ErrorCode::GROUP_ID_NOT_FOUND, format!("group {group} does not exist"));
        };
        if !g.members.is_empty() {
            return AdminResult::err(
                ErrorCode::NON_EMPTY_GROUP,
                format!(
                    "group {group} has {} member(s): stop its consumers first ({})",
                    g.members.len(),
                    g.state.name()
                ),
            );
        }
        let id = Rc::clone(&g.id);
        let tps: Vec<TopicPartition> =
            self.offsets.get(group).into_iter().flatten().map(|(tp, _)| tp.clone()).collect();
        let mut recs = Vec::new();
        for tp in &tps {
            self.next_record += 1;
            recs.push(records::offset_record(&id, tp, None, self.next_record));
        }
        self.next_record += 1;
        recs.push(records::group_record(&id, None, self.next_record));
        self.groups.remove(group);
        self.offsets.remove(group);
        out.trace(TraceKind::OffsetsExpired {
            group: group.to_string(),
            partitions: labels(&tps),
            reason: "the group was deleted (DeleteConsumerGroups)".to_string(),
        });
        self.writes.push(Write { group: id, records: recs, then: WriteAction::Nothing });
        AdminResult::ok(format!("group {group} deleted with its {} committed offset(s)", tps.len()))
    }

    /// Deleting a topic deletes every group's committed offsets for it at once (`onPartitionsDeleted`).
    pub fn forget_deleted_topics(&mut self, exists: impl Fn(&str) -> bool, out: &mut Effects) {
        let gone: Vec<(Rc<str>, Vec<TopicPartition>)> = self
            .offsets
            .iter()
            .map(|(g, o)| {
                (Rc::clone(g), o.keys().filter(|tp| !exists(&tp.topic)).cloned().collect::<Vec<_>>())
            })
            .filter(|(_, tps)| !tps.is_empty())
            .collect();
        for (group, tps) in gone {
            self.delete_offsets(&group, &tps, "the topic was deleted", out);
        }
    }

    /// Deletes offsets (tombstones), and the group too when it is Empty and has none left.
    pub fn delete_offsets(&mut self, id: &Rc<str>, tps: &[TopicPartition], why: &str, out: &mut Effects) {
        let mut recs = Vec::new();
        if let Some(stored) = self.offsets.get_mut(id) {
            for tp in tps {
                stored.remove(tp);
                self.next_record += 1;
                recs.push(records::offset_record(id, tp, None, self.next_record));
            }
        }
        out.trace(TraceKind::OffsetsExpired {
            group: id.to_string(),
            partitions: labels(tps),
            reason: why.to_string(),
        });
        let empty = self.offsets.get(id).is_none_or(VecMap::is_empty);
        if empty && self.groups.get(id).is_some_and(|g| g.state == GroupState::Empty) {
            self.groups.remove(id);
            self.offsets.remove(id);
            self.next_record += 1;
            recs.push(records::group_record(id, None, self.next_record));
        }
        self.writes.push(Write { group: Rc::clone(id), records: recs, then: WriteAction::Nothing });
    }
}

/// `group.max.size` admission ([GMM]:5059-5085).
fn accepts_join(g: &ClassicGroup, member_id: &str, max: usize) -> bool {
    match g.state {
        GroupState::Empty | GroupState::Dead => true,
        GroupState::PreparingRebalance => {
            g.member(member_id).is_some_and(|m| m.awaiting_join.is_some()) || g.awaiting_join_count() < max
        }
        _ => g.has_member(member_id) || g.members.len() < max,
    }
}

/// Stores a rejoining member's new metadata and parks its JoinGroup.
fn update_member(g: &mut ClassicGroup, id: &str, req: &JoinRequest, to: ReplyTo) {
    let m = g.member_mut(id).expect("validated");
    m.protocols = Rc::clone(&req.protocols);
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.node = to.node;
    m.awaiting_join = Some(to);
}

/// Every member with its subscription under `protocol` (the leader's JoinGroup answer).
fn joined_members(g: &ClassicGroup, protocol: &str) -> Vec<JoinedMember> {
    g.members
        .iter()
        .map(|m| JoinedMember {
            member_id: m.id.clone(),
            instance_id: m.instance_id.clone(),
            subscription: m.subscription(protocol).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The answer for a member joining a group whose generation does not change.
fn current_join_result(g: &ClassicGroup, member_id: &str, is_leader: bool, skip: bool) -> JoinResult {
    let protocol = g.protocol_name.clone().unwrap_or_default();
    JoinResult {
        generation: g.generation,
        protocol_name: protocol.clone(),
        leader: g.leader.clone().unwrap_or_default(),
        member_id: member_id.to_string(),
        members: if is_leader { joined_members(g, &protocol) } else { Vec::new() },
        skip_assignment: skip,
    }
}

/// Undoes a static member's id swap: `old` takes back the place of `new_id`, with a fresh session.
fn revert_static_member(now: SimTime, g: &mut ClassicGroup, new_id: &str, mut old: Member) {
    let Some(i) = g.members.iter().position(|m| m.id == new_id) else { return };
    old.awaiting_join = None;
    old.awaiting_sync = None;
    old.heartbeat_deadline = Some(now.plus_ms(old.session_timeout_ms));
    if let Some(instance) = &old.instance_id {
        g.static_members.insert(instance.clone(), old.id.clone());
    }
    if g.leader.as_deref() == Some(new_id) {
        g.leader = Some(old.id.clone());
    }
    if g.pending_sync.remove(new_id) {
        g.pending_sync.insert(old.id.clone());
    }
    g.members[i] = old;
}

fn join_or_sync_fenced(out: &mut Effects, parked: ReplyTo, join: bool, old_id: &str) {
    if join {
        join_error(out, parked, ErrorCode::FENCED_INSTANCE_ID, old_id);
    } else {
        reply(out, parked, GroupResponse::SyncGroup { result: Err(ErrorCode::FENCED_INSTANCE_ID) });
    }
}

/// The heartbeat's answer; resets the member's session where Kafka does.
fn heartbeat_error(now: SimTime, g: &mut ClassicGroup, member: &MemberRef) -> Option<ErrorCode> {
    if g.state == GroupState::Dead {
        return Some(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    }
    if let Err(e) = g.validate_member(&member.member_id, member.instance_id.as_deref()) {
        return Some(e);
    }
    if member.generation != g.generation {
        return Some(ErrorCode::ILLEGAL_GENERATION);
    }
    let state = g.state;
    let m = g.member_mut(&member.member_id).expect("validated");
    match state {
        GroupState::Empty => Some(ErrorCode::UNKNOWN_MEMBER_ID),
        GroupState::PreparingRebalance => {
            m.heartbeat_deadline = Some(now.plus_ms(m.session_timeout_ms));
            Some(ErrorCode::REBALANCE_IN_PROGRESS)
        }
        _ => {
            m.heartbeat_deadline = Some(now.plus_ms(m.session_timeout_ms));
            None
        }
    }
}

/// OffsetCommit validation ([CG]:823-864); resets the member's session in Stable and PreparingRebalance.
fn commit_check(now: SimTime, g: &mut ClassicGroup, member: &MemberRef) -> Result<(), ErrorCode> {
    if g.state == GroupState::Dead {
        return Err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    }
    if member.generation < 0 && g.state == GroupState::Empty {
        return Ok(());
    }
    if member.generation >= 0 || !member.member_id.is_empty() || member.instance_id.is_some() {
        g.validate_member(&member.member_id, member.instance_id.as_deref())?;
        if member.generation != g.generation {
            return Err(ErrorCode::ILLEGAL_GENERATION);
        }
    } else if g.state != GroupState::Empty {
        return Err(ErrorCode::UNKNOWN_MEMBER_ID);
    }
    if g.state == GroupState::CompletingRebalance {
        return Err(ErrorCode::REBALANCE_IN_PROGRESS);
    }
    if let Some(m) = g.member_mut(&member.member_id) {
        m.heartbeat_deadline = Some(now.plus_ms(m.session_timeout_ms));
    }
    Ok(())
}

/// The leader's assignment is stored: members get theirs, the group is Stable.
fn complete_sync(
    now: SimTime,
    g: &mut ClassicGroup,
    assignments: Vec<(String, Vec<TopicPartition>)>,
    out: &mut Effects,
) {
    let mut shown: VecMap<String, Vec<String>> = VecMap::new();
    let duplicate_clients: Vec<Rc<str>> = {
        let mut seen: Vec<Rc<str>> = Vec::new();
        let mut dup = Vec::new();
        for m in &g.members {
            if seen.contains(&m.client_id) {
                dup.push(Rc::clone(&m.client_id));
            }
            seen.push(Rc::clone(&m.client_id));
        }
        dup
    };
    for m in &mut g.members {
        if let Some((_, a)) = assignments.iter().find(|(id, _)| *id == m.id) {
            m.assignment = a.clone();
        }
        let name =
            if duplicate_clients.contains(&m.client_id) { m.id.clone() } else { m.client_id.to_string() };
        let mut parts = labels(&m.assignment);
        sort::sort(&mut parts);
        shown.insert(name, parts);
        if let Some(parked) = m.awaiting_sync.take() {
            reply(out, parked, GroupResponse::SyncGroup { result: Ok(m.assignment.clone()) });
            m.heartbeat_deadline = Some(now.plus_ms(m.session_timeout_ms));
        }
    }
    g.transition_to(GroupState::Stable, now);
    out.trace(TraceKind::GroupStable {
        group: g.id.to_string(),
        generation: g.generation,
        protocol: g.protocol_name.clone().unwrap_or_default(),
        assignment: shown,
    });
}

/// The group-metadata record's value for the group as it is now.
fn group_value(g: &ClassicGroup, now: SimTime) -> GroupValue {
    let protocol = g.protocol_name.clone();
    GroupValue {
        protocol_type: g.protocol_type.clone(),
        generation: g.generation,
        protocol: protocol.clone(),
        leader: g.leader.clone(),
        state_since_ms: now.as_ms(),
        members: g
            .members
            .iter()
            .map(|m| StoredMember {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                client_id: m.client_id.to_string(),
                session_timeout_ms: m.session_timeout_ms,
                rebalance_timeout_ms: m.rebalance_timeout_ms,
                topics: protocol
                    .as_deref()
                    .and_then(|p| m.subscription(p))
                    .map(|s| s.topics.clone())
                    .unwrap_or_default(),
                assignment: m.assignment.iter().map(|tp| (tp.topic.clone(), tp.partition)).collect(),
            })
            .collect(),
    }
}

/// A group as reloaded from its last metadata record.
fn restore_group(id: Rc<str>, v: &GroupValue, now: SimTime) -> ClassicGroup {
    let mut g = ClassicGroup::new(id, SimTime::from_ms(v.state_since_ms));
    g.generation = v.generation;
    g.protocol_type = v.protocol_type.clone();
    g.protocol_name = v.protocol.clone();
    g.leader = v.leader.clone();
    for sm in &v.members {
        let protocol = v.protocol.clone().unwrap_or_default();
        g.members.push(Member {
            id: sm.member_id.clone(),
            instance_id: sm.instance_id.clone(),
            client_id: Rc::from(sm.client_id.as_str()),
            node: crate::engine::NodeId::Controller,
            session_timeout_ms: sm.session_timeout_ms,
            rebalance_timeout_ms: sm.rebalance_timeout_ms,
            protocols: Rc::new(vec![(protocol, sm.subscription())]),
            assignment: sm.assignment_partitions(),
            awaiting_join: None,
            awaiting_sync: None,
            is_new: false,
            heartbeat_deadline: Some(now.plus_ms(sm.session_timeout_ms)),
        });
        if let Some(i) = &sm.instance_id {
            g.static_members.insert(i.clone(), sm.member_id.clone());
        }
    }
    if !g.members.is_empty() {
        // Loaded with members: Stable at the stored generation (a transition Kafka makes without the usual path).
        g.previous_state = GroupState::CompletingRebalance;
        g.state = GroupState::Stable;
    }
    g
}
