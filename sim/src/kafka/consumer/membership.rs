//! The group protocol on the client side: coordinator discovery, JoinGroup/SyncGroup with the leader's
//! assignment, the heartbeat thread, `max.poll.interval.ms`, revocation (eager and cooperative) and the errors
//! that make a member rejoin (`AbstractCoordinator`, `ConsumerCoordinator`; kafka-group-protocol.md §4.4, §6).

use super::{App, Consumer, MemberState, PartitionState, Pending};
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::vec_map::VecMap;
use crate::engine::Effects;
use crate::kafka::assignor::{
    Cluster, GroupAssignment, MemberId, RangeAssignor, RebalanceProtocol, RoundRobinAssignor, Subscription,
    TopicPartition,
};
use crate::kafka::group::coordinator::labels;
use crate::kafka::group::protocol::{GroupRequest, JoinResult, MemberRef};
use crate::kafka::producer_config::ClientProfile;
use crate::kafka::types::{BrokerId, ErrorCode};
use std::rc::Rc;

impl Consumer {
    pub(super) fn member_ref(&self) -> MemberRef {
        MemberRef {
            member_id: self.member_id.clone(),
            instance_id: self.config.group_instance_id.clone(),
            generation: self.generation,
        }
    }

    /// The protocol every configured assignor supports: cooperative only if all are ([CC]:209-231).
    fn rebalance_protocol(&self) -> RebalanceProtocol {
        if self.config.assignors.iter().all(|a| a == "cooperative-sticky") {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        }
    }

    /// `markCoordinatorUnknown`: forget the coordinator and look it up again after a backoff that grows with
    /// each failure in a row ([AC]:278-321, 998-1024).
    pub(super) fn coordinator_unknown(&mut self, now: SimTime) {
        if self.coordinator.take().is_some() {
            self.coordinator_backoff(now);
        }
    }

    fn coordinator_backoff(&mut self, now: SimTime) {
        self.coordinator_errors += 1;
        let (base, max, n) =
            (self.config.retry_backoff_ms, self.config.retry_backoff_max_ms, self.coordinator_errors);
        let wait = self.backoff_ms(base, max, n);
        self.coordinator_backoff_until = now.plus_ms(wait);
    }

    fn reset_generation(&mut self, clear_member_id: bool) {
        self.generation = -1;
        self.state = MemberState::Unjoined;
        self.rejoin_needed = true;
        if clear_member_id {
            self.member_id.clear();
        }
    }

    // ---- Coordinator ----

    fn ensure_coordinator(&mut self, now: SimTime, out: &mut Effects) -> Option<BrokerId> {
        if self.coordinator.is_some() {
            return self.coordinator;
        }
        if now < self.coordinator_backoff_until
            || self.has_in_flight(|p| matches!(p, Pending::FindCoordinator))
        {
            return None;
        }
        let broker = self.pick_bootstrap(now)?;
        let group = Rc::clone(self.group.as_ref()?);
        self.send_group(now, broker, Pending::FindCoordinator, GroupRequest::FindCoordinator { group }, out);
        None
    }

    pub(super) fn on_find_coordinator(
        &mut self,
        now: SimTime,
        result: Result<BrokerId, ErrorCode>,
        out: &mut Effects,
    ) {
        match result {
            Ok(b) => {
                if let Some(previous) = self.last_coordinator.filter(|p| *p != b) {
                    out.trace(TraceKind::CoordinatorFound {
                        consumer: self.name.to_string(),
                        group: self.group_name(),
                        broker: b,
                        previous,
                    });
                }
                self.last_coordinator = Some(b);
                self.coordinator = Some(b);
                self.coordinator_errors = 0;
                self.last_heartbeat_ok = now;
            }
            Err(_) => self.coordinator_backoff(now),
        }
    }

    // ---- Heartbeat thread ----

    /// The heartbeat thread ([AC]:1480-1581): heartbeats while joined (not while a JoinGroup is outstanding), and
    /// enforces `max.poll.interval.ms`.
    pub(super) fn heartbeat_thread(&mut self, now: SimTime, out: &mut Effects) {
        if !matches!(self.state, MemberState::Stable | MemberState::CompletingRebalance) {
            return;
        }
        if let Some(max) = self.config.max_poll_interval_ms {
            if self.app != App::Polling && now.since(self.last_poll) > max * 1000 {
                return self.poll_timeout(now, max, out);
            }
        }
        if now.since(self.last_heartbeat_ok) >= self.config.session_timeout_ms * 1000 {
            // Client side only: the coordinator is marked unknown; the member does not leave. The thread looks it
            // up again at once and backs off only after that lookup ([AC]:1480-1581).
            self.coordinator = None;
        }
        let Some(coordinator) = self.coordinator else {
            // The heartbeat thread looks the coordinator up itself, not only the next poll() ([AC]:1480-1581).
            self.ensure_coordinator(now, out);
            return;
        };
        if now < self.next_heartbeat || self.has_in_flight(|p| matches!(p, Pending::Heartbeat)) {
            return;
        }
        self.next_heartbeat = now.plus_ms(self.config.heartbeat_interval_ms);
        let req = GroupRequest::Heartbeat {
            group: Rc::clone(self.group.as_ref().expect("group")),
            member: self.member_ref(),
        };
        self.send_group(now, coordinator, Pending::Heartbeat, req, out);
    }

    /// `max.poll.interval.ms` passed without a `poll()`: a dynamic member sends LeaveGroup; either way the client
    /// forgets its member id and generation and will rejoin as a new member at its next poll ([AC]:1147-1156).
    fn poll_timeout(&mut self, now: SimTime, max: u64, out: &mut Effects) {
        let how = if self.config.group_instance_id.is_none() {
            self.send_leave(now, "poll timeout", out);
            "the heartbeat thread sends LeaveGroup"
        } else {
            "a static member sends no LeaveGroup: the coordinator waits for its session to expire"
        };
        let reason = format!(
            "max.poll.interval.ms ({max} ms) passed without a poll(): {how}; the application keeps processing \
             what it has, then rejoins as a new member"
        );
        out.trace(TraceKind::ConsumerLeft {
            consumer: self.name.to_string(),
            group: self.group_name(),
            reason,
        });
        self.reset_generation(true);
    }

    pub(super) fn on_heartbeat_response(
        &mut self,
        now: SimTime,
        error: Option<ErrorCode>,
        out: &mut Effects,
    ) {
        match error {
            None => self.last_heartbeat_ok = now,
            Some(ErrorCode::REBALANCE_IN_PROGRESS) => {
                // Counts as a heartbeat; the rejoin happens at the next poll().
                self.last_heartbeat_ok = now;
                if self.state == MemberState::Stable {
                    self.rejoin_needed = true;
                }
            }
            Some(e) => self.on_group_error(now, e, out),
        }
    }

    /// What a member does on a group error from Heartbeat, SyncGroup or OffsetCommit.
    pub(super) fn on_group_error(&mut self, now: SimTime, e: ErrorCode, out: &mut Effects) {
        match e {
            ErrorCode::REBALANCE_IN_PROGRESS => self.rejoin_needed = true,
            ErrorCode::ILLEGAL_GENERATION => self.reset_generation(false),
            ErrorCode::UNKNOWN_MEMBER_ID => self.reset_generation(true),
            ErrorCode::FENCED_INSTANCE_ID => {
                self.fatal(e, "another consumer took over its group.instance.id", out)
            }
            ErrorCode::NOT_COORDINATOR
            | ErrorCode::COORDINATOR_NOT_AVAILABLE
            | ErrorCode::NETWORK_EXCEPTION => self.coordinator_unknown(now),
            _ => {}
        }
    }

    fn fatal(&mut self, e: ErrorCode, why: &str, out: &mut Effects) {
        out.trace(TraceKind::ConsumerError {
            consumer: self.name.to_string(),
            error: e.to_string(),
            message: format!("{why}; poll() throws and the consumer stops"),
        });
        self.stop(out, "a fatal group error");
    }

    pub(super) fn send_leave(&mut self, now: SimTime, _why: &str, out: &mut Effects) {
        let (Some(coordinator), Some(group)) = (self.coordinator, self.group.clone()) else { return };
        if self.member_id.is_empty() {
            return;
        }
        let req = GroupRequest::LeaveGroup { group, member: self.member_ref() };
        self.send_group(now, coordinator, Pending::Leave, req, out);
    }

    // ---- Joining ----

    /// `ensureActiveGroup` from `poll()`: find the coordinator, and if a rejoin is needed run `onJoinPrepare`
    /// once (auto-commit, revocation) and send JoinGroup.
    pub(super) fn ensure_active_group(&mut self, now: SimTime, out: &mut Effects) {
        let Some(coordinator) = self.ensure_coordinator(now, out) else { return };
        if !self.rejoin_needed
            || matches!(self.state, MemberState::PreparingRebalance | MemberState::CompletingRebalance)
        {
            return;
        }
        if now < self.join_backoff_until || self.metadata.version == 0 {
            return;
        }
        if !self.join_prepared {
            if self.auto_commits() && self.state == MemberState::Stable {
                // Auto-commit before the rebalance; the join waits for its answer.
                if self.commit_in_flight || self.send_commit(now, false, out) {
                    return;
                }
            }
            if self.commit_in_flight {
                return;
            }
            self.on_join_prepare(out);
        }
        self.join_prepared = true;
        self.state = MemberState::PreparingRebalance;
        let req = GroupRequest::JoinGroup {
            group: Rc::clone(self.group.as_ref().expect("group")),
            member: self.member_ref(),
            client_id: Rc::clone(&self.name),
            session_timeout_ms: self.config.session_timeout_ms,
            rebalance_timeout_ms: self.config.rebalance_timeout_ms,
            protocols: Rc::new(self.protocols()),
        };
        self.send_group(now, coordinator, Pending::Join, req, out);
    }

    /// `onJoinPrepare` ([CC]:711-823): revoke (eager: everything; cooperative: only unsubscribed topics), or
    /// declare everything lost when the generation was reset.
    fn on_join_prepare(&mut self, out: &mut Effects) {
        if self.owned.is_empty() {
            return;
        }
        let (revoked, lost, reason) = if self.generation < 0 || self.member_id.is_empty() {
            (self.owned.clone(), true, "its generation was reset, so another member may own them already")
        } else if self.rebalance_protocol() == RebalanceProtocol::Eager {
            (self.owned.clone(), false, "eager rebalance: every member gives up everything before rejoining")
        } else {
            let gone: Vec<TopicPartition> =
                self.owned.iter().filter(|tp| !self.topics.contains(&tp.topic)).cloned().collect();
            (gone, false, "no longer subscribed")
        };
        if revoked.is_empty() {
            return;
        }
        self.revoke(&revoked, lost, reason, out);
    }

    fn revoke(&mut self, revoked: &[TopicPartition], lost: bool, reason: &str, out: &mut Effects) {
        out.trace(TraceKind::PartitionsRevoked {
            consumer: self.name.to_string(),
            group: self.group_name(),
            partitions: {
                let mut p = labels(revoked);
                sort::sort(&mut p);
                p
            },
            lost,
            reason: reason.to_string(),
        });
        self.owned.retain(|tp| !revoked.contains(tp));
        let keep: Vec<_> = self.owned.iter().filter_map(|tp| self.tp_of(tp)).collect();
        self.partitions.retain(|tp, _| keep.contains(tp));
        self.buffer.retain(|(tp, _)| keep.contains(tp));
    }

    /// The member's (assignor, subscription) list in `partition.assignment.strategy` order.
    fn protocols(&self) -> Vec<(String, Subscription)> {
        let owned = if self.rebalance_protocol() == RebalanceProtocol::Cooperative {
            self.owned.clone()
        } else {
            Vec::new()
        };
        self.config
            .assignors
            .iter()
            .map(|name| {
                let user_data = match name.as_str() {
                    "sticky" => self.sticky.subscription_user_data(),
                    "cooperative-sticky" => Some(self.cooperative.subscription_user_data()),
                    _ => None,
                };
                let sub = Subscription {
                    topics: self.topics.clone(),
                    user_data,
                    owned_partitions: owned.clone(),
                    generation: Some(self.generation),
                    rack: None,
                    group_instance_id: self.config.group_instance_id.clone(),
                };
                (name.clone(), sub)
            })
            .collect()
    }

    pub(super) fn on_join_response(
        &mut self,
        now: SimTime,
        result: Result<Box<JoinResult>, ErrorCode>,
        member_id: String,
        out: &mut Effects,
    ) {
        if self.state != MemberState::PreparingRebalance {
            return;
        }
        let joined = match result {
            Ok(j) => j,
            Err(e) => return self.on_join_error(now, e, member_id, out),
        };
        self.member_id = joined.member_id.clone();
        self.generation = joined.generation;
        self.protocol = Some(joined.protocol_name.clone());
        self.is_leader = joined.leader == joined.member_id;
        self.state = MemberState::CompletingRebalance;
        self.next_heartbeat = now.plus_ms(self.config.heartbeat_interval_ms);
        self.last_heartbeat_ok = now;
        let assignments =
            if self.is_leader && !joined.skip_assignment { self.assign(&joined) } else { Vec::new() };
        let Some(coordinator) = self.coordinator else { return };
        let req = GroupRequest::SyncGroup {
            group: Rc::clone(self.group.as_ref().expect("group")),
            member: self.member_ref(),
            protocol_name: Some(joined.protocol_name.clone()),
            assignments,
        };
        self.send_group(now, coordinator, Pending::Sync, req, out);
    }

    fn on_join_error(&mut self, now: SimTime, e: ErrorCode, member_id: String, out: &mut Effects) {
        self.state = MemberState::Unjoined;
        match e {
            ErrorCode::MEMBER_ID_REQUIRED => self.member_id = member_id,
            ErrorCode::UNKNOWN_MEMBER_ID => self.reset_generation(true),
            ErrorCode::ILLEGAL_GENERATION | ErrorCode::REBALANCE_IN_PROGRESS => {}
            ErrorCode::COORDINATOR_LOAD_IN_PROGRESS => {
                self.join_backoff_until = now.plus_ms(self.config.retry_backoff_ms)
            }
            ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.coordinator_unknown(now);
                self.join_backoff_until = now.plus_ms(self.config.join_backoff_ms);
            }
            _ => return self.fatal(e, "JoinGroup failed", out),
        }
        self.rejoin_needed = true;
    }

    /// The leader's assignment with the selected assignor over the members' subscriptions.
    fn assign(&mut self, joined: &JoinResult) -> Vec<(String, Vec<TopicPartition>)> {
        let subs: Vec<(MemberId, Subscription)> =
            joined.members.iter().map(|m| (MemberId(m.member_id.clone()), m.subscription.clone())).collect();
        let mut counts = VecMap::new();
        for (_, s) in &subs {
            for t in &s.topics {
                if let Some(meta) = self.metadata.topic_by_name(t) {
                    counts.insert(t.clone(), meta.partitions.len() as i32);
                }
            }
        }
        self.assignment_snapshot = counts.iter().map(|(t, n)| (t.clone(), *n as usize)).collect();
        let cluster = Cluster::new(counts);
        let result: GroupAssignment = match joined.protocol_name.as_str() {
            "roundrobin" => RoundRobinAssignor.assign(&cluster, &subs),
            "sticky" => self.sticky.assign(&cluster, &subs).unwrap_or_default(),
            "cooperative-sticky" => self.cooperative.assign(&cluster, &subs).unwrap_or_default(),
            _ => RangeAssignor::default().assign(&cluster, &subs),
        };
        result.into_iter().map(|(m, tps)| (m.0, tps)).collect()
    }

    pub(super) fn on_sync_response(
        &mut self,
        now: SimTime,
        result: Result<Vec<TopicPartition>, ErrorCode>,
        out: &mut Effects,
    ) {
        if self.state != MemberState::CompletingRebalance {
            return;
        }
        match result {
            Ok(assigned) => self.on_join_complete(now, assigned, out),
            Err(ErrorCode::REBALANCE_IN_PROGRESS) => {
                self.state = MemberState::Unjoined;
                self.rejoin_needed = true;
            }
            Err(e) => {
                self.state = MemberState::Unjoined;
                self.rejoin_needed = true;
                self.on_group_error(now, e, out);
            }
        }
    }

    /// `onJoinComplete` ([CC]:336-434): cooperative members revoke what moved away and rejoin at once; then the
    /// new partitions are assigned and their positions fetched.
    fn on_join_complete(&mut self, _now: SimTime, assigned: Vec<TopicPartition>, out: &mut Effects) {
        self.state = MemberState::Stable;
        self.rejoin_needed = false;
        self.join_prepared = false;
        let revoked: Vec<TopicPartition> =
            self.owned.iter().filter(|tp| !assigned.contains(tp)).cloned().collect();
        if !revoked.is_empty() {
            self.revoke(&revoked, false, "cooperative rebalance: these move to another member", out);
            // The second rebalance of incremental cooperative rebalancing hands them over.
            self.rejoin_needed = true;
        }
        let added: Vec<TopicPartition> =
            assigned.iter().filter(|tp| !self.owned.contains(tp)).cloned().collect();
        self.sticky.on_assignment(assigned.clone(), self.generation);
        self.cooperative.on_assignment(self.generation);
        self.owned = assigned;
        if !self.is_leader {
            self.assignment_snapshot = self
                .topics
                .iter()
                .filter_map(|t| self.metadata.topic_by_name(t).map(|m| (t.clone(), m.partitions.len())))
                .collect();
        }
        for tp in &added {
            if let Some(t) = self.tp_of(tp) {
                self.partitions.insert(t, PartitionState::default());
            }
        }
        let mut sorted = self.owned.clone();
        sort::sort(&mut sorted);
        out.trace(TraceKind::PartitionsAssigned {
            consumer: self.name.to_string(),
            group: self.group_name(),
            generation: self.generation,
            partitions: labels(&sorted),
            added: {
                let mut a = labels(&added);
                sort::sort(&mut a);
                a
            },
        });
    }

    /// New metadata: the member that watches partition counts rejoins when a subscribed topic's count changed
    /// since the assignment ([CC]:1529-1557): the Java client's and sarama's group leader (within
    /// `metadata.max.age.ms` / `Metadata.RefreshFrequency`), and with kafka-go only when `WatchPartitionChanges` is
    /// set, then every member. A follower learns of the rebalance from its heartbeat.
    pub(super) fn on_metadata_for_group(&mut self, out: &mut Effects) {
        let watches = match self.config.client {
            ClientProfile::KafkaGo => self.config.watch_partition_changes,
            _ => self.is_leader || self.config.watch_partition_changes,
        };
        if self.state != MemberState::Stable || !watches || self.rejoin_needed {
            return;
        }
        let changed: Vec<String> = self
            .topics
            .iter()
            .filter(|t| {
                let now = self.metadata.topic_by_name(t).map(|m| m.partitions.len());
                now != self.assignment_snapshot.get(*t).copied()
                    && (now.is_some() || self.assignment_snapshot.contains_key(*t))
            })
            .map(|t| match self.metadata.topic_by_name(t) {
                Some(m) => format!("{t} now has {} partition(s)", m.partitions.len()),
                None => format!("{t} no longer exists"),
            })
            .collect();
        if changed.is_empty() {
            return;
        }
        self.rejoin_needed = true;
        let who = if self.is_leader { "the group leader" } else { "WatchPartitionChanges" };
        out.trace(TraceKind::ConsumerNote {
            consumer: self.name.to_string(),
            message: format!(
                "its metadata says {} ({who}): it rejoins to trigger a rebalance",
                changed.join(", ")
            ),
        });
    }
}
