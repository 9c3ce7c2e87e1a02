//! Unit tests of the classic group coordinator. Each drives [`GroupCoordinator`] directly, the way the broker
//! does (a request, the coordinator's timers, the completion of its writes to `__consumer_offsets`), and asserts
//! the group's new state and the exact answers, writes and trace events it produced (HOUSE-STYLE rule 16).
//!
//! The tests named after a behaviour check one of the fifteen behaviours of `kafka-group-protocol.md` §9 that
//! simulators most often get wrong; the comment on each cites the section it checks.

use super::classic::{ClassicGroup, GroupState, JoinTimer};
use super::coordinator::{
    GroupConfig, GroupCoordinator, JoinRequest, Write, WriteAction, NEW_MEMBER_JOIN_TIMEOUT_MS,
};
use super::member::ReplyTo;
use super::protocol::{GroupResponse, JoinResult, JoinedMember, MemberRef};
use super::records::{self, Decoded};
use crate::engine::time::SimTime;
use crate::engine::trace::{TraceKind, TraceLevel};
use crate::engine::{Effects, NodeId};
use crate::kafka::assignor::{Subscription, TopicPartition};
use crate::kafka::log::Record;
use crate::kafka::messages::Msg;
use crate::kafka::types::{ClientId, ErrorCode, Offset};
use std::rc::Rc;

const GROUP: &str = "g";
const DELAY_MS: u64 = 3_000;
const SESSION_MS: u64 = 10_000;
const REBALANCE_MS: u64 = 60_000;
/// When [`Harness::stable`]'s group is Stable: its members joined at 0, and a second member extends the initial
/// delay once (§2.6).
const STABLE_MS: u64 = 2 * DELAY_MS;

fn config() -> GroupConfig {
    GroupConfig {
        initial_rebalance_delay_ms: DELAY_MS,
        min_session_timeout_ms: 6_000,
        max_session_timeout_ms: 1_800_000,
        max_size: usize::MAX,
        offsets_retention_ms: 7 * 24 * 3_600_000,
    }
}

fn at(ms: u64) -> SimTime {
    SimTime::from_ms(ms)
}

fn node(client: u32) -> NodeId {
    NodeId::Client(ClientId(client))
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

fn member(id: &str, generation: i32) -> MemberRef {
    MemberRef { member_id: id.to_string(), instance_id: None, generation }
}

fn static_member(id: &str, instance: &str, generation: i32) -> MemberRef {
    MemberRef { member_id: id.to_string(), instance_id: Some(instance.to_string()), generation }
}

/// A JoinGroup request under construction: client `c<n>`, a new member subscribing to topic `t` with `range`.
#[derive(Clone, Debug)]
struct Join {
    client: u32,
    member_id: String,
    instance_id: Option<String>,
    session_timeout_ms: u64,
    rebalance_timeout_ms: u64,
    assignors: Vec<&'static str>,
    topics: Vec<&'static str>,
}

fn join(client: u32) -> Join {
    Join {
        client,
        member_id: String::new(),
        instance_id: None,
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: REBALANCE_MS,
        assignors: vec!["range"],
        topics: vec!["t"],
    }
}

impl Join {
    fn id(mut self, id: &str) -> Self {
        self.member_id = id.to_string();
        self
    }
    fn instance(mut self, instance: &str) -> Self {
        self.instance_id = Some(instance.to_string());
        self
    }
    fn session(mut self, ms: u64) -> Self {
        self.session_timeout_ms = ms;
        self
    }
    fn rebalance(mut self, ms: u64) -> Self {
        self.rebalance_timeout_ms = ms;
        self
    }
    fn assignors(mut self, names: &[&'static str]) -> Self {
        self.assignors = names.to_vec();
        self
    }
    fn topics(mut self, topics: &[&'static str]) -> Self {
        self.topics = topics.to_vec();
        self
    }
    fn protocols(&self) -> Vec<(String, Subscription)> {
        self.assignors.iter().map(|a| (a.to_string(), Subscription::new(self.topics.clone()))).collect()
    }
}

/// What the leader sees of a member in its JoinGroup answer.
fn seen(id: &str, instance: Option<&str>, topics: &[&str]) -> JoinedMember {
    let subscription = Subscription::new(topics.iter().copied());
    JoinedMember { member_id: id.to_string(), instance_id: instance.map(str::to_string), subscription }
}

/// A successful JoinGroup answer.
fn joined(
    generation: i32,
    protocol: &str,
    leader: &str,
    id: &str,
    members: Vec<JoinedMember>,
) -> GroupResponse {
    let result = JoinResult {
        generation,
        protocol_name: protocol.to_string(),
        leader: leader.to_string(),
        member_id: id.to_string(),
        members,
        skip_assignment: false,
    };
    GroupResponse::JoinGroup { result: Ok(Box::new(result)), member_id: id.to_string() }
}

fn join_failed(e: ErrorCode, member_id: &str) -> GroupResponse {
    GroupResponse::JoinGroup { result: Err(e), member_id: member_id.to_string() }
}

fn synced(assignment: Vec<TopicPartition>) -> GroupResponse {
    GroupResponse::SyncGroup { result: Ok(assignment) }
}

fn sync_failed(e: ErrorCode) -> GroupResponse {
    GroupResponse::SyncGroup { result: Err(e) }
}

fn heartbeat_answer(error: Option<ErrorCode>) -> GroupResponse {
    GroupResponse::Heartbeat { error }
}

fn commit_failed(e: ErrorCode) -> GroupResponse {
    GroupResponse::OffsetCommit { result: Err(e) }
}

/// Every answer the coordinator sent, with its addressee (correlation ids are checked by the tests that care).
fn replies(out: &Effects) -> Vec<(NodeId, GroupResponse)> {
    assert!(out.timers.is_empty(), "the coordinator keeps deadlines; the broker arms its timer");
    out.sends
        .iter()
        .map(|(to, msg, delay)| {
            assert_eq!(*delay, 0);
            match msg {
                Msg::GroupResponse { resp, .. } => (*to, (**resp).clone()),
                other => panic!("the coordinator sent {other:?}"),
            }
        })
        .collect()
}

/// The member id of a MEMBER_ID_REQUIRED answer, the only thing `out` may hold.
fn member_id_required(out: &Effects, client: u32) -> String {
    let r = replies(out);
    assert_eq!(r.len(), 1, "{r:?}");
    match &r[0] {
        (to, GroupResponse::JoinGroup { result: Err(ErrorCode::MEMBER_ID_REQUIRED), member_id })
            if *to == node(client) =>
        {
            member_id.clone()
        }
        other => panic!("expected MEMBER_ID_REQUIRED for c{client}, got {other:?}"),
    }
}

/// A coordinator with one group under test, and the requests' bookkeeping.
struct Harness {
    c: GroupCoordinator,
    cfg: GroupConfig,
    group: Rc<str>,
    correlation: u64,
    /// Every record the coordinator has written and the broker replicated, in order (its offsets partition).
    log: Vec<Record>,
}

impl Harness {
    fn new() -> Self {
        Self::with(config())
    }

    fn with(cfg: GroupConfig) -> Self {
        Self { c: GroupCoordinator::default(), cfg, group: Rc::from(GROUP), correlation: 0, log: Vec::new() }
    }

    fn g(&self) -> &ClassicGroup {
        &self.c.groups[&self.group]
    }

    fn m(&self, id: &str) -> &super::member::Member {
        self.g().member(id).unwrap_or_else(|| panic!("{id} is not a member"))
    }

    fn reply_to(&mut self, client: u32) -> ReplyTo {
        self.correlation += 1;
        ReplyTo { node: node(client), correlation: self.correlation }
    }

    fn join(&mut self, ms: u64, j: &Join) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        let to = self.reply_to(j.client);
        let req = JoinRequest {
            member: MemberRef {
                member_id: j.member_id.clone(),
                instance_id: j.instance_id.clone(),
                generation: -1,
            },
            client_id: Rc::from(format!("c{}", j.client)),
            session_timeout_ms: j.session_timeout_ms,
            rebalance_timeout_ms: j.rebalance_timeout_ms,
            protocols: Rc::new(j.protocols()),
        };
        let group = Rc::clone(&self.group);
        self.c.join(at(ms), &self.cfg, 7, to, &group, req, &mut out);
        out
    }

    /// A dynamic member's two JoinGroups (KIP-394); returns its id and the effects of the second.
    fn join_twice(&mut self, ms: u64, j: Join) -> (String, Effects) {
        let out = self.join(ms, &j);
        let id = member_id_required(&out, j.client);
        let out = self.join(ms, &j.id(&id));
        (id, out)
    }

    fn sync(
        &mut self,
        ms: u64,
        client: u32,
        who: MemberRef,
        protocol: Option<&str>,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    ) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        let to = self.reply_to(client);
        let group = Rc::clone(&self.group);
        self.c.sync(at(ms), &self.cfg, to, &group, &who, protocol, assignments, &mut out);
        out
    }

    fn heartbeat(&mut self, ms: u64, client: u32, who: MemberRef) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        let to = self.reply_to(client);
        let group = Rc::clone(&self.group);
        self.c.heartbeat(at(ms), to, &group, &who, &mut out);
        out
    }

    fn leave(&mut self, ms: u64, client: u32, who: MemberRef) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        let to = self.reply_to(client);
        let group = Rc::clone(&self.group);
        self.c.leave(at(ms), &self.cfg, to, &group, &who, &mut out);
        out
    }

    fn commit(
        &mut self,
        ms: u64,
        client: u32,
        who: MemberRef,
        offsets: Vec<(TopicPartition, Offset)>,
    ) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        let to = self.reply_to(client);
        let group = Rc::clone(&self.group);
        self.c.commit(at(ms), to, &group, (&who, "tester"), offsets, &mut out);
        out
    }

    /// The broker's coordinator timer fires at `ms`.
    fn timers(&mut self, ms: u64) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        self.c.on_timers(at(ms), &self.cfg, &mut out);
        out
    }

    /// Fires the join timer until the initial rebalance's join phase is over; returns the last firing's effects.
    fn complete_initial(&mut self) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        while let Some(j) = self.g().join_timer {
            out = self.timers(j.deadline.as_ms());
        }
        out
    }

    /// The queued writes, taken as the broker takes them.
    fn take_writes(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.c.writes)
    }

    /// The broker replicates (or fails) every queued write at `ms`.
    fn finish_writes(&mut self, ms: u64, result: Result<(), ErrorCode>) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        for w in self.take_writes() {
            if result.is_ok() {
                self.log.extend(w.records.iter().cloned());
            }
            self.c.write_done(at(ms), &self.cfg, &w.group, w.then, result, &mut out);
        }
        out
    }

    /// A Stable group at generation 1 at [`STABLE_MS`]: each join in `joins` went in at t = 0 (the first is the
    /// leader), the initial delay ran out, every member sent SyncGroup at `STABLE_MS` and the leader gave the
    /// `i`-th member partition `t-i`. Returns the member ids.
    fn stable(joins: Vec<Join>) -> (Self, Vec<String>) {
        Self::stable_with(config(), joins)
    }

    fn stable_with(cfg: GroupConfig, joins: Vec<Join>) -> (Self, Vec<String>) {
        let mut h = Self::with(cfg);
        let mut ids = Vec::new();
        for j in &joins {
            let id = if let Some(instance) = &j.instance_id {
                h.join(0, j);
                h.g().static_members[instance].clone()
            } else {
                h.join_twice(0, j.clone()).0
            };
            ids.push(id);
        }
        h.complete_initial();
        assert_eq!(h.g().state, GroupState::CompletingRebalance);
        let assignments: Vec<(String, Vec<TopicPartition>)> =
            ids.iter().enumerate().map(|(i, id)| (id.clone(), vec![tp("t", i as i32)])).collect();
        for (j, id) in joins.iter().zip(&ids).skip(1) {
            let who = MemberRef { member_id: id.clone(), instance_id: j.instance_id.clone(), generation: 1 };
            h.sync(STABLE_MS, j.client, who, Some("range"), Vec::new());
        }
        let leader =
            MemberRef { member_id: ids[0].clone(), instance_id: joins[0].instance_id.clone(), generation: 1 };
        h.sync(STABLE_MS, joins[0].client, leader, Some("range"), assignments);
        h.finish_writes(STABLE_MS, Ok(()));
        assert_eq!(h.g().state, GroupState::Stable);
        (h, ids)
    }
}

// ---- §9.1: the initial rebalance delay ----

#[test]
fn initial_rebalance_waits_the_delay_even_when_everyone_joined() {
    // §9.1, §2.6: a group leaving Empty waits group.initial.rebalance.delay.ms although its only member has joined.
    let mut h = Harness::new();
    let (a, out) = h.join_twice(0, join(1));
    assert_eq!(replies(&out), vec![], "the JoinGroup is parked");
    assert_eq!(
        out.trace,
        vec![TraceKind::RebalanceStarted { group: GROUP.into(), generation: 0, reason: "c1 joined".into() }]
    );
    let g = h.g();
    assert_eq!(
        (g.state, g.previous_state, g.generation),
        (GroupState::PreparingRebalance, GroupState::Empty, 0)
    );
    assert!(g.has_all_members_joined());
    let remaining = REBALANCE_MS - DELAY_MS;
    assert_eq!(
        g.join_timer,
        Some(JoinTimer { deadline: at(DELAY_MS), initial: Some((DELAY_MS, remaining)) })
    );
    assert_eq!(h.c.next_deadline(), Some(at(DELAY_MS)));

    let out = h.timers(DELAY_MS - 1);
    assert_eq!(replies(&out), vec![]);
    assert_eq!(h.g().state, GroupState::PreparingRebalance);

    let out = h.timers(DELAY_MS);
    assert_eq!(replies(&out), vec![(node(1), joined(1, "range", &a, &a, vec![seen(&a, None, &["t"])]))]);
    let g = h.g();
    assert_eq!(
        (g.state, g.generation, g.leader.as_deref()),
        (GroupState::CompletingRebalance, 1, Some(a.as_str()))
    );
}

#[test]
fn each_member_joining_during_the_initial_delay_extends_it_by_another_delay() {
    // §9.1, §2.6: a newcomer during the window sets newMemberAdded; when the delay ends the timer is re-armed for
    // min(D, remaining) and the remaining rebalance timeout shrinks by the delay that elapsed.
    let mut h = Harness::new();
    let (a, _) = h.join_twice(0, join(1));
    assert!(!h.g().new_member_added, "the first member is added while the group is still Empty");
    let (b, out) = h.join_twice(1_000, join(2));
    assert_eq!(replies(&out), vec![]);
    assert!(h.g().new_member_added);
    let first = JoinTimer { deadline: at(DELAY_MS), initial: Some((DELAY_MS, REBALANCE_MS - DELAY_MS)) };
    assert_eq!(h.g().join_timer, Some(first), "a join does not move the timer");

    let out = h.timers(DELAY_MS);
    assert_eq!(replies(&out), vec![], "not yet: someone joined during the delay");
    assert_eq!(out.trace, vec![]);
    let g = h.g();
    assert!(!g.new_member_added);
    let second =
        JoinTimer { deadline: at(2 * DELAY_MS), initial: Some((DELAY_MS, REBALANCE_MS - 2 * DELAY_MS)) };
    assert_eq!(g.join_timer, Some(second));
    assert_eq!(g.state, GroupState::PreparingRebalance);

    let out = h.timers(2 * DELAY_MS);
    let everyone = vec![seen(&a, None, &["t"]), seen(&b, None, &["t"])];
    assert_eq!(
        replies(&out),
        vec![(node(1), joined(1, "range", &a, &a, everyone)), (node(2), joined(1, "range", &a, &b, vec![]))]
    );
    assert_eq!(h.g().state, GroupState::CompletingRebalance);
}

#[test]
fn the_initial_delay_never_outlasts_the_first_members_rebalance_timeout() {
    // §9.1, §2.6: the extensions stop once the first member's rebalance timeout is used up (remaining = 0).
    let mut h = Harness::new();
    let rebalance = 4_000;
    let (a, _) = h.join_twice(0, join(1).rebalance(rebalance));
    assert_eq!(h.g().join_timer, Some(JoinTimer { deadline: at(3_000), initial: Some((3_000, 1_000)) }));
    h.join_twice(1_000, join(2).rebalance(rebalance));
    h.timers(3_000);
    assert_eq!(h.g().join_timer, Some(JoinTimer { deadline: at(4_000), initial: Some((1_000, 0)) }));
    h.join_twice(3_500, join(3).rebalance(rebalance));
    assert!(h.g().new_member_added);

    let out = h.timers(4_000);
    assert_eq!(replies(&out).len(), 3, "a third newcomer buys nothing: the rebalance timeout is used up");
    let g = h.g();
    assert_eq!((g.state, g.generation, g.join_timer), (GroupState::CompletingRebalance, 1, None));
    assert_eq!(g.leader.as_deref(), Some(a.as_str()));
}

#[test]
fn a_leave_during_the_initial_delay_does_not_complete_the_join_early() {
    // §9.1, §4.3: after a LeaveGroup in PreparingRebalance the join completes only through maybeCompleteJoinPhase,
    // which never completes an initial rebalance ([GMM]:4114-4118), though every remaining member has joined.
    let mut h = Harness::new();
    let (a, _) = h.join_twice(0, join(1));
    let (b, _) = h.join_twice(500, join(2));
    let out = h.leave(1_000, 2, member(&b, -1));
    assert_eq!(
        replies(&out),
        vec![
            (node(2), join_failed(ErrorCode::UNKNOWN_MEMBER_ID, "")),
            (node(2), GroupResponse::LeaveGroup { error: None })
        ]
    );
    assert_eq!(
        out.trace,
        vec![TraceKind::MemberRemoved {
            group: GROUP.into(),
            member: "c2".into(),
            reason: "it sent LeaveGroup".into()
        }]
    );
    let g = h.g();
    assert!(g.has_all_members_joined());
    assert_eq!((g.state, g.previous_state), (GroupState::PreparingRebalance, GroupState::Empty));
    assert_eq!(h.timers(DELAY_MS).sends.len(), 0, "b's join during the delay still extends it");
    let out = h.timers(2 * DELAY_MS);
    assert_eq!(replies(&out), vec![(node(1), joined(1, "range", &a, &a, vec![seen(&a, None, &["t"])]))]);
}

// ---- §9.2: MEMBER_ID_REQUIRED ----

#[test]
fn member_id_required_is_a_round_trip_that_changes_nothing_but_the_pending_set() {
    // §9.2, §2.2: KIP-394. The new dynamic member gets its id, and nothing else happens: no member, no state
    // change, no rebalance, no record; only a pending id with the session timeout of its request.
    let mut h = Harness::new();
    let out = h.join(100, &join(1));
    let id = member_id_required(&out, 1);
    assert!(id.starts_with("c1-"), "{id}");
    assert_eq!(out.trace, vec![]);
    let g = h.g();
    assert_eq!((g.state, g.generation, g.members.len()), (GroupState::Empty, 0, 0));
    assert_eq!(g.pending_join.iter().collect::<Vec<_>>(), vec![(&id, &at(100 + SESSION_MS))]);
    assert!(h.c.writes.is_empty());
    assert_eq!(h.c.next_deadline(), Some(at(100 + SESSION_MS)));

    // In a Stable group too: no rebalance for an id handed out.
    let (mut h, _) = Harness::stable(vec![join(1).session(600_000)]);
    let out = h.join(7_000, &join(2));
    let pending = member_id_required(&out, 2);
    assert_eq!(out.trace, vec![]);
    let g = h.g();
    assert_eq!((g.state, g.generation, g.members.len()), (GroupState::Stable, 1, 1));
    assert!(g.pending_join.contains_key(&pending));
    assert!(h.c.writes.is_empty());

    // An id that never comes back just goes away at its session timeout.
    let out = h.timers(7_000 + SESSION_MS);
    assert_eq!((replies(&out), out.trace), (vec![], vec![]));
    let g = h.g();
    assert!(g.pending_join.is_empty());
    assert_eq!((g.state, g.generation), (GroupState::Stable, 1));
}

#[test]
fn a_pending_member_id_holds_the_join_phase_until_it_rejoins() {
    // §9.2, §2.7: hasAllMembersJoined also requires pendingJoinMembers to be empty.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    let c = member_id_required(&h.join(7_000, &join(3)), 3);
    h.join(7_000, &join(1).id(a));
    let out = h.join(7_100, &join(2).id(b));
    assert_eq!(replies(&out), vec![], "both members rejoined, but c3's id is pending");
    let g = h.g();
    assert_eq!(g.state, GroupState::PreparingRebalance);
    assert_eq!(g.awaiting_join_count(), g.members.len());
    assert!(!g.has_all_members_joined());

    let out = h.join(7_200, &join(3).id(&c));
    let everyone = vec![seen(a, None, &["t"]), seen(b, None, &["t"]), seen(&c, None, &["t"])];
    assert_eq!(
        replies(&out),
        vec![
            (node(1), joined(2, "range", a, a, everyone)),
            (node(2), joined(2, "range", a, b, vec![])),
            (node(3), joined(2, "range", a, &c, vec![])),
        ]
    );
    assert_eq!((h.g().state, h.g().generation), (GroupState::CompletingRebalance, 2));
}

#[test]
fn a_pending_member_that_never_rejoins_is_dropped_at_its_session_timeout_and_the_join_completes() {
    // §9.2, §4.2: the pending id's heartbeat timer is its *session* timeout, not the rebalance timeout.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    let c = member_id_required(&h.join(7_000, &join(3).session(8_000)), 3);
    h.join(7_000, &join(1).id(a));
    h.join(7_000, &join(2).id(b));
    assert_eq!(h.g().join_timer, Some(JoinTimer { deadline: at(7_000 + REBALANCE_MS), initial: None }));
    assert_eq!(h.c.next_deadline(), Some(at(15_000)), "c3's pending id expires first");

    let out = h.timers(14_999);
    assert_eq!(replies(&out), vec![]);
    let out = h.timers(15_000);
    assert_eq!(
        replies(&out),
        vec![
            (node(1), joined(2, "range", a, a, vec![seen(a, None, &["t"]), seen(b, None, &["t"])])),
            (node(2), joined(2, "range", a, b, vec![])),
        ]
    );
    let g = h.g();
    assert!(!g.pending_join.contains_key(&c));
    assert_eq!((g.state, g.generation, g.join_timer), (GroupState::CompletingRebalance, 2, None));
}

#[test]
fn static_members_join_without_member_id_required() {
    // §9.2, §2.2: a member with group.instance.id is added by its first JoinGroup.
    let mut h = Harness::new();
    let out = h.join(0, &join(1).instance("s1"));
    assert_eq!(replies(&out), vec![]);
    let g = h.g();
    let id = g.static_members["s1"].clone();
    assert!(id.starts_with("s1-"), "the id is built from the instance id: {id}");
    assert!(g.pending_join.is_empty());
    assert_eq!(g.members.len(), 1);
    assert_eq!(g.state, GroupState::PreparingRebalance);
    assert!(h.m(&id).awaiting_join.is_some());
}

// ---- §9.3: the generation bumps at join completion ----

#[test]
fn during_preparing_rebalance_the_old_generation_still_commits_and_heartbeats_get_rebalance_in_progress() {
    // §9.3, §4.1, §5.2: PreparingRebalance keeps the old generation, so the members' generation-1 requests pass
    // validation: heartbeats get REBALANCE_IN_PROGRESS (and still reset the session), commits are accepted.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(7_000, &join(1).id(a));
    assert_eq!((h.g().state, h.g().generation), (GroupState::PreparingRebalance, 1));

    let out = h.heartbeat(8_000, 2, member(b, 1));
    assert_eq!(replies(&out), vec![(node(2), heartbeat_answer(Some(ErrorCode::REBALANCE_IN_PROGRESS)))]);
    assert_eq!(h.m(b).heartbeat_deadline, Some(at(8_000 + SESSION_MS)), "the session is still reset");

    let out = h.commit(8_000, 2, member(b, 1), vec![(tp("t", 1), 42)]);
    assert_eq!(replies(&out), vec![], "answered once the offset record is replicated");
    let writes = h.take_writes();
    assert_eq!(writes.len(), 1);
    assert!(matches!(&writes[0].then, WriteAction::Commit { generation: 1, .. }));
    let mut out = Effects::new(TraceLevel::Summary);
    for w in writes {
        h.c.write_done(at(8_010), &h.cfg, &w.group, w.then, Ok(()), &mut out);
    }
    assert_eq!(
        replies(&out),
        vec![(node(2), GroupResponse::OffsetCommit { result: Ok(vec![(tp("t", 1), 42)]) })]
    );
    assert_eq!(h.c.offsets[&h.group][&tp("t", 1)].offset, 42);
    assert_eq!(h.g().state, GroupState::PreparingRebalance);
}

#[test]
fn the_generation_bumps_when_the_join_phase_completes_and_completing_rebalance_refuses_commits() {
    // §9.3, §2.7, §5.2: the new generation exists from join completion; until the assignment is stored, commits of
    // the new generation get REBALANCE_IN_PROGRESS and those of the old one ILLEGAL_GENERATION.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(7_000, &join(1).id(a));
    let out = h.join(7_000, &join(2).id(b));
    assert_eq!(replies(&out).len(), 2);
    assert_eq!((h.g().state, h.g().generation), (GroupState::CompletingRebalance, 2));

    let out = h.commit(7_100, 2, member(b, 2), vec![(tp("t", 1), 42)]);
    assert_eq!(replies(&out), vec![(node(2), commit_failed(ErrorCode::REBALANCE_IN_PROGRESS))]);
    let out = h.commit(7_100, 2, member(b, 1), vec![(tp("t", 1), 42)]);
    assert_eq!(replies(&out), vec![(node(2), commit_failed(ErrorCode::ILLEGAL_GENERATION))]);
    assert!(h.c.writes.is_empty());
    let out = h.heartbeat(7_100, 2, member(b, 2));
    assert_eq!(
        replies(&out),
        vec![(node(2), heartbeat_answer(None))],
        "heartbeats are fine in CompletingRebalance"
    );

    h.sync(7_200, 2, member(b, 2), Some("range"), Vec::new());
    let out = h.sync(7_200, 1, member(a, 2), Some("range"), vec![(a.clone(), vec![tp("t", 0)])]);
    assert_eq!(replies(&out), vec![]);
    assert_eq!(
        (h.g().state, h.g().generation),
        (GroupState::CompletingRebalance, 2),
        "the sync bumps nothing"
    );
    h.finish_writes(7_300, Ok(()));
    assert_eq!((h.g().state, h.g().generation), (GroupState::Stable, 2));

    let out = h.commit(7_400, 2, member(b, 2), vec![(tp("t", 1), 42)]);
    assert_eq!(replies(&out), vec![]);
    assert_eq!(h.c.writes.len(), 1, "accepted once Stable");
}

// ---- §9.4: Stable → Empty goes through PreparingRebalance ----

#[test]
fn the_last_member_leaving_takes_a_stable_group_through_preparing_rebalance_to_empty() {
    // §9.4, §1.2, §4.3: Empty ← PreparingRebalance only; the join phase completes with no member, bumps the
    // generation and writes the empty group's record.
    let (mut h, ids) = Harness::stable(vec![join(1)]);
    h.log.clear();
    let out = h.leave(8_000, 1, member(&ids[0], 1));
    assert_eq!(replies(&out), vec![(node(1), GroupResponse::LeaveGroup { error: None })]);
    assert_eq!(
        out.trace,
        vec![
            TraceKind::MemberRemoved {
                group: GROUP.into(),
                member: "c1".into(),
                reason: "it sent LeaveGroup".into()
            },
            TraceKind::RebalanceStarted {
                group: GROUP.into(),
                generation: 1,
                reason: "c1 left the group".into()
            },
            TraceKind::GroupEmpty { group: GROUP.into(), generation: 2 },
        ]
    );
    let g = h.g();
    assert_eq!(
        (g.state, g.previous_state, g.generation),
        (GroupState::Empty, GroupState::PreparingRebalance, 2)
    );
    assert_eq!((g.state_since, g.protocol_name.as_deref(), g.join_timer), (at(8_000), None, None));
    assert_eq!(
        g.protocol_type.as_deref(),
        Some("consumer"),
        "an Empty consumer group keeps its protocol type"
    );

    let writes = h.take_writes();
    assert_eq!(writes.len(), 1);
    assert!(matches!(writes[0].then, WriteAction::Nothing));
    let Some(Decoded::Group { value: Some(v), .. }) = records::decode(&writes[0].records[0]) else {
        panic!("a group metadata record")
    };
    assert_eq!((v.generation, v.members.len(), v.state_since_ms), (2, 0, 8_000));
    assert_eq!((v.protocol_type.as_deref(), v.protocol), (Some("consumer"), None));
}

#[test]
fn offsets_of_an_empty_group_expire_retention_after_it_became_empty_not_after_their_commit() {
    // §9.4, §5.4 (ClassicGroup.offsetExpirationCondition): a consumer group's offsets expire `retention` after the
    // group became Empty (currentStateTimestamp), not after their commit timestamp.
    let retention = 60_000;
    let (mut h, ids) = Harness::stable_with(
        GroupConfig { offsets_retention_ms: retention, ..config() },
        vec![join(1).session(600_000)],
    );
    h.commit(7_000, 1, member(&ids[0], 1), vec![(tp("t", 0), 5)]);
    h.finish_writes(7_000, Ok(()));
    h.leave(100_000, 1, member(&ids[0], 1));
    h.take_writes();

    let mut out = Effects::new(TraceLevel::Summary);
    h.c.expire_offsets(at(100_001), &h.cfg, &mut out);
    assert_eq!(out.trace, vec![], "the commit is 93 s old, but the group has been Empty for 1 ms");
    assert!(h.c.writes.is_empty());
    assert_eq!(h.c.offsets[&h.group][&tp("t", 0)].offset, 5);

    let mut out = Effects::new(TraceLevel::Summary);
    h.c.expire_offsets(at(100_000 + retention), &h.cfg, &mut out);
    assert_eq!(
        out.trace,
        vec![TraceKind::OffsetsExpired {
            group: GROUP.into(),
            partitions: vec!["t-0".into()],
            reason: "offsets.retention.minutes passed".into(),
        }]
    );
    assert!(!h.c.groups.contains_key(GROUP), "an Empty group with no offsets left is deleted");
    let writes = h.take_writes();
    let decoded: Vec<_> = writes[0].records.iter().map(|r| records::decode(r).expect("decodes")).collect();
    assert_eq!(
        decoded,
        vec![
            Decoded::Offset { group: GROUP.into(), tp: tp("t", 0), value: None },
            Decoded::Group { group: GROUP.into(), value: None },
        ]
    );
}

// ---- §9.5: session expiry during a rebalance ----

#[test]
fn members_parked_in_a_join_are_exempt_from_session_expiry_and_their_timer_is_not_rearmed() {
    // §9.5, §4.2: hasSatisfiedHeartbeat: a (not new) member with a parked JoinGroup survives its heartbeat timer,
    // which is not re-armed; a member that is not parked is removed.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    assert_eq!(h.m(a).heartbeat_deadline, Some(at(STABLE_MS + SESSION_MS)));
    h.join(7_000, &join(1).id(a));
    h.heartbeat(8_000, 2, member(b, 1));

    let out = h.timers(STABLE_MS + SESSION_MS);
    assert_eq!((replies(&out), out.trace), (vec![], vec![]));
    assert_eq!(h.m(a).heartbeat_deadline, None, "satisfied, and not re-armed");
    assert_eq!(h.g().state, GroupState::PreparingRebalance);
    assert_eq!(h.c.next_deadline(), Some(at(8_000 + SESSION_MS)), "b's session; a has no timer");

    let out = h.timers(8_000 + SESSION_MS);
    assert_eq!(replies(&out), vec![(node(1), joined(2, "range", a, a, vec![seen(a, None, &["t"])]))]);
    assert_eq!(
        out.trace[0],
        TraceKind::MemberRemoved {
            group: GROUP.into(),
            member: "c2".into(),
            reason: format!("session timeout: no heartbeat for {SESSION_MS} ms (session.timeout.ms)"),
        }
    );
    assert_eq!(h.m(a).heartbeat_deadline, Some(at(8_000 + 2 * SESSION_MS)), "re-armed at join completion");
}

#[test]
fn members_parked_in_a_sync_are_exempt_from_session_expiry_and_the_sync_timer_removes_a_stalled_leader() {
    // §9.5, §3.3: a follower parked in SyncGroup outlives its session; the leader that never sends SyncGroup (but
    // keeps heartbeating) is removed by the sync timer, armed for the rebalance timeout at join completion.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(7_000, &join(2).id(b).topics(&["t", "u"]));
    h.join(7_000, &join(1).id(a));
    let g = h.g();
    assert_eq!((g.state, g.generation), (GroupState::CompletingRebalance, 2));
    assert_eq!(g.sync_timer, Some((at(7_000 + REBALANCE_MS), 2)));
    let out = h.sync(7_100, 2, member(b, 2), Some("range"), Vec::new());
    assert_eq!(replies(&out), vec![]);

    let mut t = 7_000 + SESSION_MS - 1_000;
    while t < 7_000 + REBALANCE_MS {
        assert_eq!(replies(&h.heartbeat(t, 1, member(a, 2))), vec![(node(1), heartbeat_answer(None))]);
        let out = h.timers(t + 1_000);
        assert_eq!((replies(&out), out.trace), (vec![], vec![]));
        t += SESSION_MS - 1_000;
    }
    assert_eq!(h.m(b).heartbeat_deadline, None, "b is satisfied by its parked SyncGroup");
    assert!(h.m(b).awaiting_sync.is_some());

    let out = h.timers(7_000 + REBALANCE_MS);
    assert_eq!(replies(&out), vec![(node(2), sync_failed(ErrorCode::REBALANCE_IN_PROGRESS))]);
    assert_eq!(
        out.trace,
        vec![
            TraceKind::MemberRemoved {
                group: GROUP.into(),
                member: "c1".into(),
                reason: "it did not send SyncGroup within the rebalance timeout".into(),
            },
            TraceKind::RebalanceStarted {
                group: GROUP.into(),
                generation: 2,
                reason: "c1 did not sync in time".into()
            },
        ]
    );
    let g = h.g();
    assert_eq!(g.members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), vec![b.as_str()]);
    assert_eq!(
        (g.state, g.leader.as_deref(), g.sync_timer),
        (GroupState::PreparingRebalance, Some(b.as_str()), None)
    );
}

#[test]
fn a_member_that_never_sends_sync_group_is_removed_by_the_sync_timer_even_once_the_group_is_stable() {
    // §3.3: the sync timer also fires in Stable; a member that heartbeats but never sent SyncGroup is removed.
    let (mut h, a, b) = completing();
    assert_eq!(h.g().sync_timer, Some((at(STABLE_MS + REBALANCE_MS), 1)));
    h.sync(
        6_100,
        1,
        member(&a, 1),
        Some("range"),
        vec![(a.clone(), vec![tp("t", 0)]), (b.clone(), vec![tp("t", 1)])],
    );
    h.finish_writes(6_200, Ok(()));
    assert_eq!(h.g().state, GroupState::Stable);
    assert_eq!(h.g().pending_sync, [b.clone()].into_iter().collect());
    let mut t = 6_000 + SESSION_MS - 1_000;
    while t < STABLE_MS + REBALANCE_MS {
        h.heartbeat(t, 1, member(&a, 1));
        h.heartbeat(t, 2, member(&b, 1));
        assert_eq!(replies(&h.timers(t)), vec![]);
        t += SESSION_MS - 1_000;
    }
    let out = h.timers(STABLE_MS + REBALANCE_MS);
    assert_eq!(replies(&out), vec![]);
    assert_eq!(
        out.trace,
        vec![
            TraceKind::MemberRemoved {
                group: GROUP.into(),
                member: "c2".into(),
                reason: "it did not send SyncGroup within the rebalance timeout".into(),
            },
            TraceKind::RebalanceStarted {
                group: GROUP.into(),
                generation: 1,
                reason: "c2 did not sync in time".into()
            },
        ]
    );
    let g = h.g();
    assert!(!g.has_member(&b));
    assert_eq!(g.state, GroupState::PreparingRebalance);
}

#[test]
fn a_new_member_is_expired_by_the_fixed_five_minute_join_timeout_even_while_parked() {
    // §9.5, §2.5: a member added in a rebalance (isNew) has a 5-minute heartbeat timer, whatever its session
    // timeout, and its parked join does not satisfy it; on expiry it is removed and answered UNKNOWN_MEMBER_ID.
    let long = 600_000;
    let (mut h, ids) = Harness::stable(vec![join(1).rebalance(long), join(2).rebalance(long)]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(7_000, &join(1).id(a).rebalance(long));
    let (c, out) = h.join_twice(7_000, join(3).rebalance(long));
    assert_eq!(replies(&out), vec![]);
    let joined_at = 7_000 + NEW_MEMBER_JOIN_TIMEOUT_MS;
    assert_eq!((h.m(&c).is_new, h.m(&c).heartbeat_deadline), (true, Some(at(joined_at))));

    // b does not rejoin but heartbeats (REBALANCE_IN_PROGRESS), so the join phase lasts.
    let mut t = 8_000;
    while t < joined_at {
        h.heartbeat(t, 2, member(b, 1));
        let out = h.timers(t);
        assert_eq!(replies(&out), vec![]);
        t += 9_000;
    }
    assert_eq!(h.m(a).heartbeat_deadline, None, "a (not new) is satisfied by its parked join");
    assert_eq!(h.m(&c).heartbeat_deadline, Some(at(joined_at)), "c's deadline was never touched");

    let out = h.timers(joined_at);
    assert_eq!(replies(&out), vec![(node(3), join_failed(ErrorCode::UNKNOWN_MEMBER_ID, ""))]);
    assert_eq!(
        out.trace,
        vec![TraceKind::MemberRemoved {
            group: GROUP.into(),
            member: "c3".into(),
            reason: "it was added 300 s ago and never completed its join".into(),
        }]
    );
    assert!(!h.g().has_member(&c));
    assert_eq!(h.g().state, GroupState::PreparingRebalance, "b still has not rejoined");
}

// ---- §9.6: static members ----

#[test]
fn static_members_that_miss_the_join_deadline_are_kept_and_still_sent_to_the_leader() {
    // §9.6, §2.7 step 2: at join completion, dynamic members that did not rejoin are removed, static ones kept
    // (with their old metadata) and listed to the leader, and expected to sync.
    let long_session = 120_000;
    let (mut h, ids) = Harness::stable(vec![
        join(1),
        join(2).session(long_session),
        join(3).instance("s3").session(long_session),
    ]);
    let (a, b, s) = (&ids[0], &ids[1], &ids[2]);
    h.join(7_000, &join(1).id(a));

    let out = h.timers(7_000 + REBALANCE_MS);
    let everyone = vec![seen(a, None, &["t"]), seen(s, Some("s3"), &["t"])];
    assert_eq!(replies(&out), vec![(node(1), joined(2, "range", a, a, everyone))]);
    assert_eq!(
        out.trace,
        vec![
            TraceKind::MemberRemoved {
                group: GROUP.into(),
                member: "c2".into(),
                reason: "did not rejoin within the rebalance timeout".into(),
            },
            TraceKind::JoinCompleted {
                group: GROUP.into(),
                generation: 2,
                protocol: "range".into(),
                leader: "c1".into(),
                members: vec!["c1".into(), "c3".into()],
            },
        ]
    );
    let g = h.g();
    assert!(!g.has_member(b));
    assert_eq!(g.static_members["s3"], *s);
    assert_eq!(g.pending_sync, [a.clone(), s.clone()].into_iter().collect());
    assert_eq!(h.m(s).heartbeat_deadline, Some(at(7_000 + REBALANCE_MS + long_session)));
}

#[test]
fn a_static_member_replaced_in_stable_keeps_its_assignment_without_a_rebalance_and_the_old_id_is_fenced() {
    // §9.6, §2.4 (KIP-345): a restarted static member (JoinGroup with no member id, a known instance id) takes the
    // old member's place and assignment; Stable with an unchanged protocol → no rebalance, the record with the new
    // id is written, then the JoinGroup is answered with the current generation. The old id is then fenced.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2).instance("s2")]);
    let (a, old) = (&ids[0], &ids[1]);
    h.log.clear();

    let out = h.join(8_000, &join(9).instance("s2"));
    let replaced = TraceKind::StaticMemberReplaced {
        group: GROUP.into(),
        instance_id: "s2".into(),
        consumer: "c9".into(),
        generation: 1,
        rebalance: false,
    };
    assert_eq!((replies(&out), out.trace), (vec![], vec![replaced]), "answered once the new id is stored");
    let g = h.g();
    let new = g.static_members["s2"].clone();
    assert_ne!(new, *old);
    assert_eq!((g.state, g.generation), (GroupState::Stable, 1));
    assert!(!g.has_member(old));
    assert_eq!(h.m(&new).assignment, vec![tp("t", 1)]);
    assert_eq!(h.m(&new).heartbeat_deadline, Some(at(8_000 + SESSION_MS)));
    let writes = h.take_writes();
    assert_eq!(writes.len(), 1);
    let WriteAction::StaticRejoin { reply, member_id, .. } = &writes[0].then else {
        panic!("{:?}", writes[0].then)
    };
    assert_eq!((reply.node, member_id), (node(9), &new));
    let Some(Decoded::Group { value: Some(v), .. }) = records::decode(&writes[0].records[0]) else {
        panic!()
    };
    assert_eq!(v.generation, 1);
    assert_eq!(v.members[1].member_id, new);
    assert_eq!(v.members[1].assignment, vec![("t".to_string(), 1)]);

    let mut out = Effects::new(TraceLevel::Summary);
    for w in writes {
        h.c.write_done(at(8_010), &h.cfg, &w.group, w.then, Ok(()), &mut out);
    }
    assert_eq!(replies(&out), vec![(node(9), joined(1, "range", a, &new, vec![]))]);
    let out = h.sync(8_020, 9, static_member(&new, "s2", 1), Some("range"), Vec::new());
    assert_eq!(replies(&out), vec![(node(9), synced(vec![tp("t", 1)]))]);
    assert_eq!(h.g().state, GroupState::Stable);

    // The old process is fenced on everything it sends.
    let fenced = ErrorCode::FENCED_INSTANCE_ID;
    let out = h.heartbeat(8_030, 2, static_member(old, "s2", 1));
    assert_eq!(replies(&out), vec![(node(2), heartbeat_answer(Some(fenced)))]);
    let out = h.commit(8_030, 2, static_member(old, "s2", 1), vec![(tp("t", 1), 3)]);
    assert_eq!(replies(&out), vec![(node(2), commit_failed(fenced))]);
    let out = h.sync(8_030, 2, static_member(old, "s2", 1), Some("range"), Vec::new());
    assert_eq!(replies(&out), vec![(node(2), sync_failed(fenced))]);
    let out = h.join(8_030, &join(2).id(old).instance("s2"));
    assert_eq!(replies(&out), vec![(node(2), join_failed(fenced, old))]);
    assert!(h.c.writes.is_empty());
    assert_eq!((h.g().state, h.g().generation), (GroupState::Stable, 1));
}

#[test]
fn a_static_member_whose_new_id_cannot_be_stored_is_put_back_under_its_old_id() {
    // §2.4, §5.6: if the id-swap record fails, the replacement is reverted and the JoinGroup gets the mapped error
    // with no member id ([GMM]:5137-5156); the old id keeps working.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2).instance("s2").session(20_000)]);
    let (a, old) = (&ids[0], &ids[1]);
    h.join(8_000, &join(9).instance("s2").session(30_000).rebalance(90_000));
    let new = h.g().static_members["s2"].clone();
    let out = h.finish_writes(8_010, Err(ErrorCode::COORDINATOR_NOT_AVAILABLE));
    assert_eq!(replies(&out), vec![(node(9), join_failed(ErrorCode::COORDINATOR_NOT_AVAILABLE, ""))]);
    assert_eq!(out.trace, vec![]);
    let g = h.g();
    assert_eq!(g.static_members["s2"], *old);
    assert!(!g.has_member(&new));
    assert_eq!((g.state, g.generation, g.leader.as_deref()), (GroupState::Stable, 1, Some(a.as_str())));
    let m = h.m(old);
    assert_eq!((m.node, m.session_timeout_ms, m.rebalance_timeout_ms), (node(2), 20_000, REBALANCE_MS));
    assert_eq!((m.assignment.clone(), m.heartbeat_deadline), (vec![tp("t", 1)], Some(at(8_010 + 20_000))));
    assert!(m.awaiting_join.is_none());
    let out = h.heartbeat(8_020, 2, static_member(old, "s2", 1));
    assert_eq!(replies(&out), vec![(node(2), heartbeat_answer(None))]);
    let out = h.heartbeat(8_020, 9, static_member(&new, "s2", 1));
    assert_eq!(replies(&out), vec![(node(9), heartbeat_answer(Some(ErrorCode::FENCED_INSTANCE_ID)))]);
}

#[test]
fn a_static_member_replaced_while_its_old_process_waits_in_sync_fences_that_sync_and_rebalances() {
    // §9.6, §2.4: the old id's parked request is answered FENCED_INSTANCE_ID; in CompletingRebalance a static
    // replacement always starts a new rebalance ([GMM]:5195-5203).
    let (mut h, ids) = Harness::stable(vec![join(1), join(2).instance("s2")]);
    let (a, old) = (&ids[0], &ids[1]);
    h.join(7_000, &join(1).id(a));
    h.join(7_000, &join(2).id(old).instance("s2"));
    assert_eq!(h.g().state, GroupState::CompletingRebalance);
    h.sync(7_100, 2, static_member(old, "s2", 2), Some("range"), Vec::new());

    let out = h.join(7_200, &join(9).instance("s2"));
    assert_eq!(replies(&out), vec![(node(2), sync_failed(ErrorCode::FENCED_INSTANCE_ID))]);
    let new = h.g().static_members["s2"].clone();
    assert!(matches!(out.trace[0], TraceKind::StaticMemberReplaced { rebalance: true, .. }));
    assert_eq!(
        out.trace[1..],
        vec![TraceKind::RebalanceStarted {
            group: GROUP.into(),
            generation: 2,
            reason: "static member c2 rejoined with a new member id".into(),
        }]
    );
    assert_eq!(h.g().state, GroupState::PreparingRebalance);
    assert!(h.m(&new).awaiting_join.is_some());
}

#[test]
fn a_static_member_rejoining_with_a_new_id_rebalances_when_the_selected_protocol_would_change() {
    // §2.4, §1.2: in Stable the replacement re-runs protocol selection; a different result means a rebalance.
    let both = ["range", "roundrobin"];
    let (mut h, _) = Harness::stable(vec![join(1).assignors(&both), join(2).instance("s2").assignors(&both)]);
    assert_eq!(h.g().protocol_name.as_deref(), Some("range"));
    let out = h.join(8_000, &join(9).instance("s2").assignors(&["roundrobin"]));
    assert_eq!(replies(&out), vec![]);
    assert!(matches!(out.trace[0], TraceKind::StaticMemberReplaced { rebalance: true, .. }));
    assert_eq!(
        out.trace[1..],
        vec![TraceKind::RebalanceStarted {
            group: GROUP.into(),
            generation: 1,
            reason: "static member c2 rejoined with a new member id".into(),
        }]
    );
    assert!(h.c.writes.is_empty(), "no id-swap record: the rebalance will write the next generation");
    assert_eq!(h.g().state, GroupState::PreparingRebalance);
}

// ---- §9.7: who rebalances on a rejoin in Stable ----

#[test]
fn the_leader_rejoining_a_stable_group_always_rebalances() {
    // §9.7, §2.3: a leader JoinGroup in Stable rebalances even with identical metadata (that is how the leader
    // asks for a rebalance after a topic-metadata change).
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let out = h.join(7_000, &join(1).id(&ids[0]));
    assert_eq!(replies(&out), vec![]);
    assert_eq!(
        out.trace,
        vec![TraceKind::RebalanceStarted {
            group: GROUP.into(),
            generation: 1,
            reason: "the leader c1 rejoined (a leader's JoinGroup always rebalances)".into()
        }]
    );
    let g = h.g();
    assert_eq!((g.state, g.generation), (GroupState::PreparingRebalance, 1));
    assert_eq!(g.join_timer, Some(JoinTimer { deadline: at(7_000 + REBALANCE_MS), initial: None }));
}

#[test]
fn a_follower_rejoining_with_identical_metadata_gets_the_current_generation_without_a_rebalance() {
    // §9.7, §2.3: the follower is answered at once with the current generation and no member list.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let out = h.join(7_000, &join(2).id(&ids[1]));
    assert_eq!(replies(&out), vec![(node(2), joined(1, "range", &ids[0], &ids[1], vec![]))]);
    assert_eq!(out.trace, vec![]);
    let g = h.g();
    assert_eq!((g.state, g.generation, g.join_timer), (GroupState::Stable, 1, None));
    assert!(h.m(&ids[1]).awaiting_join.is_none());
}

#[test]
fn a_follower_rejoining_with_changed_metadata_rebalances() {
    // §2.3: `matches` compares the whole ordered protocol list; a changed subscription rebalances.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let out = h.join(7_000, &join(2).id(&ids[1]).topics(&["t", "u"]));
    assert_eq!(replies(&out), vec![]);
    assert_eq!(
        out.trace,
        vec![TraceKind::RebalanceStarted {
            group: GROUP.into(),
            generation: 1,
            reason: "c2 rejoined with a changed subscription".into(),
        }]
    );
    assert_eq!(h.g().state, GroupState::PreparingRebalance);
    assert_eq!(h.m(&ids[1]).protocols[0].1.topics, vec!["t", "u"]);
}

// ---- §9.8: Stable only after the assignment is committed ----

/// A group just past its first join phase: a (leader) and b, both in CompletingRebalance at generation 1.
fn completing() -> (Harness, String, String) {
    let mut h = Harness::new();
    let (a, _) = h.join_twice(0, join(1));
    let (b, _) = h.join_twice(0, join(2));
    h.complete_initial();
    assert_eq!(h.g().state, GroupState::CompletingRebalance);
    (h, a, b)
}

#[test]
fn the_group_becomes_stable_only_once_the_assignment_record_is_written() {
    // §9.8, §3.1: the leader's SyncGroup appends one record; the parked SyncGroups are answered, each with its own
    // assignment, and the group becomes Stable, only in the append's completion.
    let (mut h, a, b) = completing();
    let out = h.sync(6_100, 2, member(&b, 1), Some("range"), Vec::new());
    assert_eq!(replies(&out), vec![]);
    let out = h.sync(6_200, 1, member(&a, 1), Some("range"), vec![(b.clone(), vec![tp("t", 0), tp("t", 1)])]);
    assert_eq!(replies(&out), vec![]);
    assert_eq!(h.g().state, GroupState::CompletingRebalance);
    assert!(h.m(&b).assignment.is_empty(), "not stored before the write completes");
    let writes = h.take_writes();
    assert_eq!(writes.len(), 1);
    let WriteAction::Sync { generation, assignments } = &writes[0].then else {
        panic!("{:?}", writes[0].then)
    };
    assert_eq!(*generation, 1);
    assert_eq!(
        *assignments,
        vec![(a.clone(), vec![]), (b.clone(), vec![tp("t", 0), tp("t", 1)])],
        "the leader left itself out: it gets an empty assignment"
    );

    let mut out = Effects::new(TraceLevel::Summary);
    for w in writes {
        h.c.write_done(at(6_300), &h.cfg, &w.group, w.then, Ok(()), &mut out);
    }
    assert_eq!(
        replies(&out),
        vec![(node(1), synced(vec![])), (node(2), synced(vec![tp("t", 0), tp("t", 1)]))]
    );
    let g = h.g();
    assert_eq!((g.state, g.generation), (GroupState::Stable, 1));
    assert_eq!(
        h.m(&a).heartbeat_deadline,
        Some(at(6_300 + SESSION_MS)),
        "answered members' sessions restart"
    );
    assert_eq!(
        out.trace,
        vec![TraceKind::GroupStable {
            group: GROUP.into(),
            generation: 1,
            protocol: "range".into(),
            assignment: [
                ("c1".to_string(), vec![]),
                ("c2".to_string(), vec!["t-0".to_string(), "t-1".to_string()])
            ]
            .into_iter()
            .collect(),
        }]
    );
}

#[test]
fn a_join_before_the_assignment_is_written_restarts_the_rebalance_and_the_late_write_is_ignored() {
    // §9.8, §3.1: the completion callback acts only if the group is still CompletingRebalance at that generation.
    let (mut h, a, b) = completing();
    h.sync(6_100, 2, member(&b, 1), Some("range"), Vec::new());
    h.sync(
        6_200,
        1,
        member(&a, 1),
        Some("range"),
        vec![(a.clone(), vec![tp("t", 0)]), (b.clone(), vec![tp("t", 1)])],
    );
    let writes = h.take_writes();

    let (c, out) = h.join_twice(6_250, join(3));
    let busy = sync_failed(ErrorCode::REBALANCE_IN_PROGRESS);
    assert_eq!(replies(&out), vec![(node(1), busy.clone()), (node(2), busy)]);
    assert_eq!((h.g().state, h.g().generation), (GroupState::PreparingRebalance, 1));

    let mut out = Effects::new(TraceLevel::Summary);
    for w in writes {
        h.c.write_done(at(6_300), &h.cfg, &w.group, w.then, Ok(()), &mut out);
    }
    assert_eq!((replies(&out), out.trace), (vec![], vec![]));
    let g = h.g();
    assert_eq!((g.state, g.generation), (GroupState::PreparingRebalance, 1));
    assert!(g.members.iter().all(|m| m.assignment.is_empty()));
    assert!(h.m(&c).awaiting_join.is_some());
}

#[test]
fn a_failed_assignment_write_answers_the_parked_syncs_with_the_error_and_rebalances() {
    // §3.1, §5.6: on append failure the assignments are cleared, every parked SyncGroup gets the mapped error and
    // a new rebalance starts.
    let (mut h, a, b) = completing();
    h.sync(6_100, 2, member(&b, 1), Some("range"), Vec::new());
    h.sync(6_200, 1, member(&a, 1), Some("range"), vec![(b.clone(), vec![tp("t", 0)])]);
    let out = h.finish_writes(6_300, Err(ErrorCode::COORDINATOR_NOT_AVAILABLE));
    let failed = sync_failed(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    assert_eq!(replies(&out), vec![(node(1), failed.clone()), (node(2), failed)]);
    assert_eq!(
        out.trace,
        vec![TraceKind::RebalanceStarted {
            group: GROUP.into(),
            generation: 1,
            reason: "storing the assignment failed (COORDINATOR_NOT_AVAILABLE)".into(),
        }]
    );
    let g = h.g();
    assert_eq!((g.state, g.generation), (GroupState::PreparingRebalance, 1));
    assert!(g.members.iter().all(|m| m.assignment.is_empty()));
}

// ---- §9.11: which partition's leader coordinates a group ----

#[test]
fn the_coordinator_partition_uses_utils_abs_of_the_java_hash() {
    // §9.11, §5.1: vectors checked on a JVM; masking would give 36 for "my-group".
    use super::coordinator_partition;
    assert_eq!(coordinator_partition("my-group", 50), 12);
    assert_eq!(coordinator_partition("test-group", 50), 12);
    assert_eq!(coordinator_partition("consumer-group-1", 50), 20);
}

#[test]
fn integer_min_value_maps_to_partition_zero() {
    // §9.11, §5.1: "polygenelubricants" hashes to Integer.MIN_VALUE in Java; Utils.abs maps it to 0.
    use super::coordinator_partition;
    assert_eq!(crate::kafka::assignor::java_compat::string_hash("polygenelubricants"), i32::MIN);
    assert_eq!(coordinator_partition("polygenelubricants", 50), 0);
}

// ---- §9.13: failover ----

#[test]
fn a_reloaded_group_is_stable_at_the_last_synced_generation_and_the_rebalance_in_progress_is_lost() {
    // §9.13, §5.5: only the leader's SyncGroup persists a generation; a new coordinator replays the log and finds
    // the group Stable at generation 1 with its assignment and fresh session timers.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(7_000, &join(1).id(a));
    h.join(7_000, &join(2).id(b));
    assert_eq!((h.g().state, h.g().generation), (GroupState::CompletingRebalance, 2));
    assert!(h.c.writes.is_empty(), "join completion writes nothing");

    let mut fresh = GroupCoordinator::default();
    let loaded = fresh.load(at(20_000), h.log.iter());
    assert_eq!(loaded, vec![GROUP.to_string()]);
    let g = &fresh.groups[GROUP];
    assert_eq!((g.state, g.generation, g.protocol_name.as_deref()), (GroupState::Stable, 1, Some("range")));
    assert_eq!(g.leader.as_deref(), Some(a.as_str()));
    let members: Vec<_> = g.members.iter().map(|m| (m.id.as_str(), m.assignment.clone())).collect();
    assert_eq!(members, vec![(a.as_str(), vec![tp("t", 0)]), (b.as_str(), vec![tp("t", 1)])]);
    assert!(g.members.iter().all(|m| m.heartbeat_deadline == Some(at(20_000 + SESSION_MS))));
    assert!(g.members.iter().all(|m| m.awaiting_join.is_none() && m.awaiting_sync.is_none()));
    assert_eq!((g.join_timer, g.sync_timer), (None, None));

    // b learnt generation 2 from the lost rebalance: it must rejoin.
    h.c = fresh;
    let out = h.heartbeat(20_100, 2, member(b, 2));
    assert_eq!(replies(&out), vec![(node(2), heartbeat_answer(Some(ErrorCode::ILLEGAL_GENERATION)))]);
    let out = h.heartbeat(20_100, 1, member(a, 1));
    assert_eq!(replies(&out), vec![(node(1), heartbeat_answer(None))]);
}

// ---- §9.15: the group's rebalance timeout ----

#[test]
fn the_group_rebalance_timeout_is_the_largest_of_its_members_recomputed_when_a_timer_is_armed() {
    // §9.15, §1.1: rebalanceTimeoutMs() is the max over current members, evaluated when a timer is armed.
    let long_session = 120_000;
    let (mut h, ids) = Harness::stable(vec![
        join(1).rebalance(20_000),
        join(2).rebalance(90_000),
        join(3).rebalance(20_000).session(long_session),
    ]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(7_000, &join(1).id(a).rebalance(20_000));
    assert_eq!(
        h.g().join_timer,
        Some(JoinTimer { deadline: at(7_000 + 90_000), initial: None }),
        "b's 90 s, not the joining leader's own 20 s"
    );
    h.join(8_000, &join(2).id(b).rebalance(30_000));
    assert_eq!(h.g().join_timer.map(|j| j.deadline), Some(at(97_000)), "an armed timer is not moved");
    assert_eq!(h.g().rebalance_timeout_ms(), 30_000);

    let out = h.timers(97_000);
    assert_eq!(replies(&out).len(), 2, "c3 did not rejoin and is dropped");
    assert_eq!(
        h.g().sync_timer,
        Some((at(97_000 + 30_000), 2)),
        "the max over the members now: b's new 30 s"
    );
}

// ---- Validation around the behaviours ----

#[test]
fn heartbeat_and_commit_tell_an_unknown_member_from_a_stale_generation() {
    // §4.1, §5.2: validateMember first (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID), then the generation
    // (ILLEGAL_GENERATION).
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let a = &ids[0];
    let unknown = Some(ErrorCode::UNKNOWN_MEMBER_ID);
    let illegal = Some(ErrorCode::ILLEGAL_GENERATION);
    assert_eq!(replies(&h.heartbeat(7_000, 1, member(a, 0))), vec![(node(1), heartbeat_answer(illegal))]);
    assert_eq!(
        replies(&h.heartbeat(7_000, 3, member("nobody", 1))),
        vec![(node(3), heartbeat_answer(unknown))]
    );
    assert_eq!(
        replies(&h.heartbeat(7_000, 3, member("nobody", 0))),
        vec![(node(3), heartbeat_answer(unknown))],
        "the member is checked before the generation"
    );
    assert_eq!(replies(&h.heartbeat(7_000, 1, member(a, 1))), vec![(node(1), heartbeat_answer(None))]);

    let offsets = || vec![(tp("t", 0), 1)];
    let out = h.commit(7_000, 1, member(a, 0), offsets());
    assert_eq!(replies(&out), vec![(node(1), commit_failed(ErrorCode::ILLEGAL_GENERATION))]);
    let out = h.commit(7_000, 3, member("nobody", 1), offsets());
    assert_eq!(replies(&out), vec![(node(3), commit_failed(ErrorCode::UNKNOWN_MEMBER_ID))]);
    let out = h.commit(7_000, 3, member("", -1), offsets());
    assert_eq!(
        replies(&out),
        vec![(node(3), commit_failed(ErrorCode::UNKNOWN_MEMBER_ID))],
        "an assign() consumer cannot commit into a live group"
    );
    let out = h.sync(7_000, 1, member(a, 0), Some("range"), Vec::new());
    assert_eq!(replies(&out), vec![(node(1), sync_failed(ErrorCode::ILLEGAL_GENERATION))]);
    let out = h.sync(7_000, 3, member("nobody", 1), Some("range"), Vec::new());
    assert_eq!(replies(&out), vec![(node(3), sync_failed(ErrorCode::UNKNOWN_MEMBER_ID))]);
    assert!(h.c.writes.is_empty());

    // A group the coordinator does not know.
    h.group = Rc::from("other");
    assert_eq!(replies(&h.heartbeat(7_000, 1, member(a, 1))), vec![(node(1), heartbeat_answer(unknown))]);
    let out = h.commit(7_000, 1, member(a, 1), offsets());
    assert_eq!(replies(&out), vec![(node(1), commit_failed(ErrorCode::ILLEGAL_GENERATION))]);
    assert!(!h.c.groups.contains_key("other"));
    let out = h.commit(7_000, 1, member("", -1), offsets());
    assert_eq!(replies(&out), vec![], "generation -1 creates a simple group; answered after the write");
    let g = h.g();
    assert_eq!((g.state, g.protocol_type.as_deref()), (GroupState::Empty, None));
    assert_eq!(h.c.writes.len(), 1);
}

#[test]
fn the_protocol_is_chosen_by_the_members_votes_among_those_all_of_them_support() {
    // §2.8: candidates are the protocols every member supports; each member votes for its first candidate; the
    // most votes win, whatever the leader prefers.
    let mut h = Harness::new();
    let (a, _) = h.join_twice(0, join(1).assignors(&["roundrobin", "range"]));
    let (b, _) = h.join_twice(0, join(2).assignors(&["range", "roundrobin"]));
    let (c, _) = h.join_twice(0, join(3).assignors(&["sticky", "range", "roundrobin"]));
    let out = h.complete_initial();
    let everyone = vec![seen(&a, None, &["t"]), seen(&b, None, &["t"]), seen(&c, None, &["t"])];
    assert_eq!(replies(&out)[0], (node(1), joined(1, "range", &a, &a, everyone)));
    assert_eq!(h.g().protocol_name.as_deref(), Some("range"), "2 votes to 1; sticky is not a candidate");

    // With one vote each, the tie goes to the first member's preference (Kafka: hash-map order).
    let mut h = Harness::new();
    h.join_twice(0, join(1).assignors(&["roundrobin", "range"]));
    h.join_twice(0, join(2).assignors(&["range", "roundrobin"]));
    h.complete_initial();
    assert_eq!(h.g().protocol_name.as_deref(), Some("roundrobin"));
}

#[test]
fn group_max_size_turns_new_members_away_with_an_empty_member_id() {
    // §2.1 step 5: Stable accepts existing members and new ones up to group.max.size; PreparingRebalance counts
    // the members awaiting join; a rejected member is removed and gets GROUP_MAX_SIZE_REACHED with member id "".
    let cfg = GroupConfig { max_size: 2, ..config() };
    let (mut h, ids) = Harness::stable_with(cfg, vec![join(1), join(2)]);
    let (a, b) = (&ids[0], &ids[1]);
    let full = join_failed(ErrorCode::GROUP_MAX_SIZE_REACHED, "");
    let out = h.join(7_000, &join(3));
    assert_eq!(replies(&out), vec![(node(3), full.clone())]);
    assert!(h.g().pending_join.is_empty());
    let out = h.join(7_000, &join(2).id(b));
    assert_eq!(
        replies(&out),
        vec![(node(2), joined(1, "range", a, b, vec![]))],
        "a member is always accepted"
    );

    // In PreparingRebalance a newcomer fits while fewer than max.size members are awaiting join; b, who has not
    // rejoined yet, is then the one turned away, and removed.
    h.join(8_000, &join(1).id(a));
    let (c, _) = h.join_twice(8_000, join(3));
    assert_eq!(h.g().members.len(), 3);
    let out = h.join(8_100, &join(2).id(b));
    assert_eq!(replies(&out), vec![(node(2), full)]);
    assert!(!h.g().has_member(b));
    assert!(h.g().has_member(&c));
}

#[test]
fn a_join_with_no_protocol_in_common_is_inconsistent_group_protocol() {
    // §2.2, §2.3, §3.1: supportsProtocols, and SyncGroup's protocol name check.
    let (mut h, ids) = Harness::stable(vec![join(1), join(2)]);
    let out = h.join(7_000, &join(3).assignors(&["roundrobin"]));
    assert_eq!(replies(&out), vec![(node(3), join_failed(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, ""))]);
    assert!(h.g().pending_join.is_empty());
    let out = h.join(7_000, &join(2).id(&ids[1]).assignors(&["roundrobin"]));
    assert_eq!(replies(&out), vec![(node(2), join_failed(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, &ids[1]))]);
    let out = h.sync(7_000, 2, member(&ids[1], 1), Some("roundrobin"), Vec::new());
    assert_eq!(replies(&out), vec![(node(2), sync_failed(ErrorCode::INCONSISTENT_GROUP_PROTOCOL))]);
    assert_eq!((h.g().state, h.g().generation), (GroupState::Stable, 1));
}

#[test]
fn a_session_timeout_outside_the_brokers_bounds_is_invalid_session_timeout() {
    // §2.1 step 2: group.min/max.session.timeout.ms, checked before anything else (no group is created).
    let mut h = Harness::new();
    for session in [5_999, 1_800_001] {
        let out = h.join(0, &join(1).session(session));
        assert_eq!(replies(&out), vec![(node(1), join_failed(ErrorCode::INVALID_SESSION_TIMEOUT, ""))]);
    }
    assert!(h.c.groups.is_empty());
    for session in [6_000, 1_800_000] {
        member_id_required(&h.join(0, &join(1).session(session)), 1);
    }
}

// ---- The broker's side: routing to the coordinator (§9.11) and loading after failover (§9.13) ----

mod broker {
    use super::super::broker_side::Shard;
    use super::super::protocol::{GroupRequest, GroupResponse, MemberRef};
    use super::super::{coordinator_partition, OFFSETS_TOPIC};
    use super::{at, node, GROUP};
    use crate::engine::trace::{TraceKind, TraceLevel};
    use crate::engine::{Effects, Input, NodeId, Timer};
    use crate::kafka::broker::{Broker, BrokerStorage};
    use crate::kafka::config::{BrokerConfig, TopicConfig};
    use crate::kafka::messages::Msg;
    use crate::kafka::metadata::{BrokerMeta, MetadataImage, PartitionMeta, TopicMeta};
    use crate::kafka::types::{BrokerId, ErrorCode, TopicId};
    use std::rc::Rc;

    /// An image with `__consumer_offsets` (50 partitions, one replica each) whose partition `p` is led by
    /// `leader(p)`.
    fn offsets_image(leader: impl Fn(u32) -> i32) -> MetadataImage {
        let mut image = MetadataImage { version: 1, ..MetadataImage::default() };
        for id in 1..=3 {
            let meta = BrokerMeta { id: BrokerId(id), rack: None, fenced: false, shutting_down: false };
            image.brokers.insert(BrokerId(id), meta);
        }
        let partitions = (0..50)
            .map(|p| PartitionMeta {
                replicas: vec![BrokerId(leader(p))],
                isr: vec![BrokerId(leader(p))],
                leader: Some(BrokerId(leader(p))),
                leader_epoch: 0,
                partition_epoch: 0,
                recovering: false,
            })
            .collect();
        let topic = TopicMeta {
            id: TopicId(0),
            name: OFFSETS_TOPIC.into(),
            partitions,
            config: TopicConfig::default(),
        };
        image.topics.insert(TopicId(0), topic);
        image
    }

    fn broker(id: i32) -> Broker {
        Broker::new(BrokerId(id), None, 1, Rc::new(BrokerConfig::default()), BrokerStorage::default())
    }

    fn request(
        b: &mut Broker,
        ms: u64,
        correlation: u64,
        req: GroupRequest,
    ) -> Vec<(NodeId, u64, GroupResponse)> {
        let mut out = Effects::new(TraceLevel::Summary);
        let msg = Msg::Group { correlation, req: Box::new(req) };
        b.handle(at(ms), Input::Message { from: node(1), msg }, &mut out);
        out.sends
            .iter()
            .filter_map(|(to, m, _)| match m {
                Msg::GroupResponse { correlation, resp } => Some((*to, *correlation, (**resp).clone())),
                _ => None,
            })
            .collect()
    }

    fn heartbeat(generation: i32) -> GroupRequest {
        let member = MemberRef { member_id: "m".into(), instance_id: None, generation };
        GroupRequest::Heartbeat { group: Rc::from(GROUP), member }
    }

    #[test]
    fn find_coordinator_answers_the_leader_of_the_utils_abs_partition() {
        // §9.11, §5.1: "my-group" hashes to -1906497762: Utils.abs gives partition 12 (a sign mask would give 36).
        let mut b = broker(1);
        b.image = Rc::new(offsets_image(|p| match p {
            12 => 2,
            36 => 3,
            _ => 1,
        }));
        let answers = request(&mut b, 0, 7, GroupRequest::FindCoordinator { group: Rc::from("my-group") });
        assert_eq!(answers, vec![(node(1), 7, GroupResponse::FindCoordinator { result: Ok(BrokerId(2)) })]);
    }

    #[test]
    fn while_a_new_coordinator_loads_heartbeats_get_a_blind_none_and_other_requests_load_in_progress() {
        // §9.13, §5.5: becoming leader of the offsets partition starts a load; meanwhile Heartbeat gets NONE
        // ([GCS]:500-512) and the other group requests COORDINATOR_LOAD_IN_PROGRESS. A broker that does not lead
        // the partition answers NOT_COORDINATOR.
        let mut b = broker(1);
        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(
            at(0),
            Input::Message {
                from: NodeId::Controller,
                msg: Msg::MetadataUpdate(Rc::new(offsets_image(|_| 1))),
            },
            &mut out,
        );
        let shard = coordinator_partition(GROUP, 50);
        assert_eq!(b.group_side.shards.get(&shard), Some(&Shard::Loading { epoch: 0, until: at(5) }));

        let answers = request(&mut b, 1, 1, heartbeat(3));
        assert_eq!(answers, vec![(node(1), 1, GroupResponse::Heartbeat { error: None })]);
        let member = MemberRef { member_id: "m".into(), instance_id: None, generation: 3 };
        let commit = GroupRequest::OffsetCommit {
            group: Rc::from(GROUP),
            member,
            offsets: Vec::new(),
            client_id: Rc::from("tester"),
        };
        let answers = request(&mut b, 1, 2, commit);
        let loading = Err(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
        assert_eq!(answers, vec![(node(1), 2, GroupResponse::OffsetCommit { result: loading })]);

        let mut out = Effects::new(TraceLevel::Summary);
        b.handle(at(5), Input::Timer(Timer::GroupCoordinator), &mut out);
        assert_eq!(b.group_side.shards.get(&shard), Some(&Shard::Active { epoch: 0 }));
        assert!(out.trace.contains(&TraceKind::CoordinatorLoaded {
            broker: BrokerId(1),
            partition: shard,
            groups: vec![]
        }));
        let answers = request(&mut b, 6, 3, heartbeat(3));
        let unknown = Some(ErrorCode::UNKNOWN_MEMBER_ID);
        assert_eq!(
            answers,
            vec![(node(1), 3, GroupResponse::Heartbeat { error: unknown })],
            "no blind ack once loaded"
        );

        let mut other = broker(2);
        other.image = Rc::new(offsets_image(|_| 1));
        let answers = request(&mut other, 6, 4, heartbeat(3));
        let not_coordinator = Some(ErrorCode::NOT_COORDINATOR);
        assert_eq!(answers, vec![(node(1), 4, GroupResponse::Heartbeat { error: not_coordinator })]);
    }
}
