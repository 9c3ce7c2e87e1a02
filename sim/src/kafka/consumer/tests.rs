//! Unit tests of the consumer's group membership (`AbstractCoordinator`/`ConsumerCoordinator` on the client
//! side). Each drives a [`Consumer`] node through `handle`, answering its requests as a broker would, and asserts
//! its new state and the exact requests and trace events it emitted (HOUSE-STYLE rule 16). The comment on each
//! test cites the section of `kafka-group-protocol.md` it checks.

use super::config::{CommitMode, ConsumerConfig};
use super::{Consumer, ConsumerSpec, MemberState};
use crate::engine::time::SimTime;
use crate::engine::trace::{TraceKind, TraceLevel};
use crate::engine::{Effects, Input, NodeId, Timer};
use crate::kafka::assignor::TopicPartition;
use crate::kafka::group::protocol::{GroupRequest, GroupResponse, JoinResult, MemberRef};
use crate::kafka::log::{Batch, Record};
use crate::kafka::messages::{FetchPartitionResponse, FetchResponse, Msg};
use crate::kafka::metadata::MetadataImage;
use crate::kafka::producer_config::ClientProfile;
use crate::kafka::types::{BrokerId, ClientId, ErrorCode, RecordId, TopicId, Tp};
use std::rc::Rc;

const SESSION_MS: u64 = 10_000;
const HEARTBEAT_MS: u64 = 3_000;

fn at(ms: u64) -> SimTime {
    SimTime::from_ms(ms)
}

/// The microsecond before `t`.
fn before(t: SimTime) -> SimTime {
    SimTime(t.0 - 1)
}

fn tp(partition: i32) -> TopicPartition {
    TopicPartition::new("t", partition)
}

/// The Java client's defaults, with a 10 s session and no auto-commit unless a test wants one.
fn java() -> ConsumerConfig {
    let mut c = ConsumerConfig::defaults(ClientProfile::Java);
    c.session_timeout_ms = SESSION_MS;
    c.heartbeat_interval_ms = HEARTBEAT_MS;
    c.commit = CommitMode::Never;
    c
}

/// Topic `t` with two partitions, both led by broker 1.
fn image() -> Rc<MetadataImage> {
    Rc::new(MetadataImage::test_topic(&[BrokerId(1)], 2))
}

/// A request the consumer sent and the test has not answered yet.
#[derive(Clone, Debug)]
enum Open {
    Metadata,
    Group(GroupRequest),
    Fetch,
}

/// A consumer `c1` in group `g` subscribed to `t`, the requests it sent, and the wake-ups it asked for.
struct Client {
    c: Consumer,
    open: Vec<(u64, Open)>,
    wakes: Vec<SimTime>,
}

impl Client {
    fn new(config: ConsumerConfig) -> Self {
        let spec =
            ConsumerSpec { config, group: Some("g".into()), topics: vec!["t".into()], manual: Vec::new() };
        Self {
            c: Consumer::new(ClientId(1), "c1", spec, vec![BrokerId(1)], 42),
            open: Vec::new(),
            wakes: Vec::new(),
        }
    }

    /// Records what `out` holds: requests to answer later and wake-up timers.
    fn record(&mut self, out: &Effects) {
        for (to, msg, _) in &out.sends {
            assert_eq!(*to, NodeId::Broker(BrokerId(1)));
            match msg {
                Msg::MetadataRequest { correlation } => self.open.push((*correlation, Open::Metadata)),
                Msg::Group { correlation, req } => {
                    self.open.push((*correlation, Open::Group((**req).clone())))
                }
                Msg::Fetch(f) => self.open.push((f.correlation, Open::Fetch)),
                other => panic!("unexpected {other:?}"),
            }
        }
        for (when, timer) in &out.timers {
            assert_eq!(*timer, Timer::ClientWake);
            self.wakes.push(*when);
        }
    }

    fn handle(&mut self, now: SimTime, input: Input) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        self.c.handle(now, input, &mut out);
        self.record(&out);
        out
    }

    fn start(&mut self) -> Effects {
        let mut out = Effects::new(TraceLevel::Summary);
        self.c.start(SimTime::ZERO, &mut out);
        self.record(&out);
        out
    }

    fn take(&mut self, kind: &str) -> (u64, Open) {
        let i = self
            .open
            .iter()
            .position(|(_, o)| match o {
                Open::Metadata => kind == "Metadata",
                Open::Fetch => kind == "Fetch",
                Open::Group(r) => r.kind() == kind,
            })
            .unwrap_or_else(|| panic!("no {kind} in flight: {:?}", self.open));
        self.open.remove(i)
    }

    /// Answers the oldest open request of `kind` (a group request's name) with `resp`.
    fn answer(&mut self, now: SimTime, kind: &str, resp: GroupResponse) -> Effects {
        let (correlation, _) = self.take(kind);
        let msg = Msg::GroupResponse { correlation, resp: Box::new(resp) };
        self.handle(now, Input::Message { from: NodeId::Broker(BrokerId(1)), msg })
    }

    fn answer_metadata(&mut self, now: SimTime) -> Effects {
        let (correlation, _) = self.take("Metadata");
        let msg = Msg::MetadataResponse { correlation, image: image() };
        self.handle(now, Input::Message { from: NodeId::Broker(BrokerId(1)), msg })
    }

    /// Answers the open Fetch with `records` records of `t-0` from offset 0 (and nothing for `t-1`).
    fn answer_fetch(&mut self, now: SimTime, records: u64) -> Effects {
        let (correlation, _) = self.take("Fetch");
        let records = (0..records)
            .map(|seq| Record {
                key: None,
                value: None,
                value_bytes: 10,
                id: RecordId { producer: ClientId(9), seq },
            })
            .collect::<Vec<_>>();
        let n = records.len() as i64;
        let batch = Batch {
            base_offset: 0,
            epoch: 0,
            producer: None,
            append_time: SimTime::ZERO,
            size_bytes: 100,
            records,
        };
        let part = |p: u32, batches: Vec<Rc<Batch>>| FetchPartitionResponse {
            tp: Tp { topic: TopicId(0), partition: p },
            error: None,
            high_watermark: if p == 0 { n } else { 0 },
            log_start_offset: 0,
            log_end_offset: if p == 0 { n } else { 0 },
            diverging_epoch: None,
            batches,
        };
        let resp = FetchResponse {
            correlation,
            partitions: vec![part(0, vec![Rc::new(batch)]), part(1, Vec::new())],
        };
        let msg = Msg::FetchResponse(Rc::new(resp));
        self.handle(now, Input::Message { from: NodeId::Broker(BrokerId(1)), msg })
    }

    /// Runs the consumer's wake-ups up to `until` (each at its own instant, as the world does); every Heartbeat
    /// it sends is answered at once with `heartbeat`. Returns what sent something or left a trace, with when.
    fn run_until(&mut self, until: SimTime, heartbeat: Option<ErrorCode>) -> Vec<(SimTime, Effects)> {
        let mut seen = Vec::new();
        loop {
            self.wakes.sort();
            let Some(i) = self.wakes.iter().position(|w| *w <= until) else { break };
            let now = self.wakes.remove(i);
            let out = self.handle(now, Input::Timer(Timer::ClientWake));
            seen.push((now, out));
            while self.open.iter().any(|(_, o)| matches!(o, Open::Group(GroupRequest::Heartbeat { .. }))) {
                let out = self.answer(now, "Heartbeat", GroupResponse::Heartbeat { error: heartbeat });
                seen.push((now, out));
            }
        }
        seen.retain(|(_, out)| !out.sends.is_empty() || !out.trace.is_empty());
        seen
    }

    /// The group requests `c1` sent that `seen` holds, by name, with when.
    fn sent(seen: &[(SimTime, Effects)]) -> Vec<(SimTime, &'static str)> {
        seen.iter().flat_map(|(t, out)| kinds(out).into_iter().map(move |k| (*t, k))).collect()
    }

    /// The trace events that `seen` holds.
    fn traced(seen: &[(SimTime, Effects)]) -> Vec<TraceKind> {
        seen.iter().flat_map(|(_, out)| out.trace.iter().cloned()).collect()
    }
}

/// The names of the requests `out` sends.
fn kinds(out: &Effects) -> Vec<&'static str> {
    out.sends.iter().map(|(_, m, _)| m.kind()).collect()
}

/// The group request of `kind` that `out` sends.
fn request<'a>(out: &'a Effects, kind: &str) -> &'a GroupRequest {
    out.sends
        .iter()
        .find_map(|(_, m, _)| match m {
            Msg::Group { req, .. } if req.kind() == kind => Some(&**req),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {kind} in {:?}", kinds(out)))
}

fn join_ok(generation: i32, protocol: &str, member_id: &str) -> GroupResponse {
    let result = JoinResult {
        generation,
        protocol_name: protocol.into(),
        leader: "the-leader".into(),
        member_id: member_id.into(),
        members: Vec::new(),
        skip_assignment: false,
    };
    GroupResponse::JoinGroup { result: Ok(Box::new(result)), member_id: member_id.into() }
}

/// A follower `m1` of generation 1 owning `t-0` and `t-1` from offset 0, at 4 ms, with a Fetch in flight.
/// Returns the client and the JoinGroup it sent.
fn joined(config: ConsumerConfig) -> (Client, GroupRequest) {
    let protocol = config.assignors[0].clone();
    let mut k = Client::new(config);
    assert_eq!(kinds(&k.start()), vec!["Metadata", "FindCoordinator"]);
    k.answer_metadata(at(1));
    let out = k.answer(at(1), "FindCoordinator", GroupResponse::FindCoordinator { result: Ok(BrokerId(1)) });
    let join = request(&out, "JoinGroup").clone();
    let out = k.answer(at(2), "JoinGroup", join_ok(1, &protocol, "m1"));
    assert_eq!(kinds(&out), vec!["SyncGroup"]);
    let out = k.answer(at(3), "SyncGroup", GroupResponse::SyncGroup { result: Ok(vec![tp(0), tp(1)]) });
    assert_eq!(kinds(&out), vec!["OffsetFetch"]);
    let out = k.answer(
        at(4),
        "OffsetFetch",
        GroupResponse::OffsetFetch { result: Ok(vec![(tp(0), 0), (tp(1), 0)]) },
    );
    assert_eq!(kinds(&out), vec!["Fetch"]);
    assert_eq!((k.c.state, k.c.generation, k.c.member_id.as_str()), (MemberState::Stable, 1, "m1"));
    (k, join)
}

fn revoked(partitions: &[&str], lost: bool, reason: &str) -> TraceKind {
    TraceKind::PartitionsRevoked {
        consumer: "c1".into(),
        group: "g".into(),
        partitions: partitions.iter().map(|p| p.to_string()).collect(),
        lost,
        reason: reason.into(),
    }
}

const EAGER: &str = "eager rebalance: every member gives up everything before rejoining";
const LOST: &str = "its generation was reset, so another member may own them already";

// ---- §9.9: heartbeats around a rebalance ----

#[test]
fn no_heartbeats_are_sent_while_the_join_group_is_outstanding() {
    // §9.9, §4.4 step 2 (hasNotJoinedGroup): the heartbeat thread is disabled from JoinGroup until its answer.
    let (mut k, _) = joined(java());
    let seen = k.run_until(at(2 + HEARTBEAT_MS), None);
    assert_eq!(Client::sent(&seen), vec![(at(2 + HEARTBEAT_MS), "Heartbeat")], "heartbeats while Stable");

    let seen = k.run_until(at(2 + 2 * HEARTBEAT_MS - 1), None);
    assert!(Client::sent(&seen).is_empty());
    let seen = k.run_until(at(2 + 2 * HEARTBEAT_MS), Some(ErrorCode::REBALANCE_IN_PROGRESS));
    let (t, out) = seen.last().expect("the heartbeat was answered");
    assert_eq!(
        (*t, kinds(out)),
        (at(2 + 2 * HEARTBEAT_MS), vec!["JoinGroup"]),
        "polling, so it rejoins at once"
    );
    assert_eq!(k.c.state, MemberState::PreparingRebalance);

    let seen = k.run_until(at(30_000), None);
    assert_eq!(Client::sent(&seen), vec![], "no Heartbeat for 24 s while the JoinGroup is parked");
    assert_eq!(k.c.coordinator, Some(BrokerId(1)), "and the coordinator is not given up");

    let out = k.answer(at(30_000), "JoinGroup", join_ok(2, "range", "m1"));
    assert_eq!(kinds(&out), vec!["SyncGroup"]);
    let seen = k.run_until(at(30_000 + HEARTBEAT_MS), None);
    assert_eq!(
        Client::sent(&seen),
        vec![(at(30_000 + HEARTBEAT_MS), "Heartbeat")],
        "back on after the answer"
    );
}

#[test]
fn heartbeat_rebalance_in_progress_counts_as_a_heartbeat_and_the_rejoin_waits_for_the_next_poll() {
    // §9.9, §4.4, §6.3: REBALANCE_IN_PROGRESS resets the session like a success; a Stable member only requests a
    // rejoin, which happens in the application's next poll(), after it has processed what it holds.
    let mut config = java();
    config.processing_us_per_record = 1_000_000;
    let (mut k, _) = joined(config);
    let out = k.answer_fetch(at(5), 20);
    assert_eq!(kinds(&out), vec!["Fetch"], "the records go to the application, and the next Fetch goes out");
    let processed_at = at(5).plus_ms(20_000);

    let seen = k.run_until(at(2 + HEARTBEAT_MS), Some(ErrorCode::REBALANCE_IN_PROGRESS));
    let heartbeat = at(2 + HEARTBEAT_MS);
    assert_eq!(Client::sent(&seen), vec![(heartbeat, "Heartbeat")], "no JoinGroup while processing");
    assert_eq!(Client::traced(&seen), vec![]);
    assert_eq!((k.c.state, k.c.rejoin_needed), (MemberState::Stable, true));
    assert_eq!(k.c.last_heartbeat_ok, at(2 + HEARTBEAT_MS), "counted as a successful heartbeat");

    // Longer than the session with nothing but REBALANCE_IN_PROGRESS: the coordinator is still trusted.
    let seen = k.run_until(before(processed_at), Some(ErrorCode::REBALANCE_IN_PROGRESS));
    let sent = Client::sent(&seen);
    assert!(sent.iter().all(|(_, kind)| *kind == "Heartbeat"), "{sent:?}");
    assert_eq!(sent.len(), 5);
    assert_eq!(k.c.coordinator, Some(BrokerId(1)));

    let seen = k.run_until(processed_at, None);
    assert_eq!(Client::sent(&seen), vec![(processed_at, "JoinGroup")], "poll() after processing rejoins");
    assert_eq!(Client::traced(&seen).last(), Some(&revoked(&["t-0", "t-1"], false, EAGER)));
}

// ---- §9.10: max.poll.interval.ms ----

#[test]
fn a_poll_timeout_sends_leave_group_and_the_next_join_is_a_new_member_whose_partitions_are_lost() {
    // §9.10, §4.4 step 5: a dynamic member sends LeaveGroup, then resets generation *and* member id; its next
    // poll() calls onPartitionsLost (not onPartitionsRevoked) and joins with no member id.
    let mut config = java();
    config.processing_us_per_record = 1_000_000;
    config.max_poll_interval_ms = Some(10_000);
    let (mut k, _) = joined(config);
    k.answer_fetch(at(5), 20);
    let expiry = at(5).plus_ms(10_000) + 1;

    let seen = k.run_until(before(expiry), None);
    assert!(Client::sent(&seen).iter().all(|(_, kind)| *kind == "Heartbeat"));
    let seen = k.run_until(expiry, None);
    let (t, out) = &seen[0];
    assert_eq!((*t, kinds(out)), (expiry, vec!["LeaveGroup"]));
    let GroupRequest::LeaveGroup { member, .. } = request(out, "LeaveGroup") else { unreachable!() };
    assert_eq!(*member, MemberRef { member_id: "m1".into(), instance_id: None, generation: 1 });
    assert!(matches!(&out.trace[..], [TraceKind::ConsumerLeft { .. }]), "{:?}", out.trace);
    assert_eq!((k.c.member_id.as_str(), k.c.generation, k.c.state), ("", -1, MemberState::Unjoined));

    let processed_at = at(5).plus_ms(20_000);
    let seen = k.run_until(before(processed_at), None);
    assert_eq!(Client::sent(&seen), vec![], "out of the group: no heartbeats, no rejoin before poll()");
    let seen = k.run_until(processed_at, None);
    let (_, out) = seen.last().expect("ran");
    assert_eq!(kinds(out), vec!["JoinGroup"]);
    let GroupRequest::JoinGroup { member, .. } = request(out, "JoinGroup") else { unreachable!() };
    assert_eq!(*member, MemberRef { member_id: String::new(), instance_id: None, generation: -1 });
    assert_eq!(out.trace.last(), Some(&revoked(&["t-0", "t-1"], true, LOST)));
}

#[test]
fn a_static_member_never_sends_leave_group() {
    // §9.6, §9.10, §4.3: only dynamic members send LeaveGroup ([AC]:1170), on a poll timeout as on close().
    let mut config = java();
    config.processing_us_per_record = 1_000_000;
    config.max_poll_interval_ms = Some(10_000);
    config.group_instance_id = Some("s1".into());
    let (mut k, join) = joined(config.clone());
    let GroupRequest::JoinGroup { member, .. } = &join else { unreachable!() };
    assert_eq!(member.instance_id.as_deref(), Some("s1"));
    k.answer_fetch(at(5), 20);
    let expiry = at(5).plus_ms(10_000) + 1;
    k.run_until(before(expiry), None);
    let seen = k.run_until(expiry, None);
    let (t, out) = &seen[0];
    assert_eq!((*t, kinds(out)), (expiry, vec![]), "no LeaveGroup: the session timeout will remove it");
    assert!(matches!(&out.trace[..], [TraceKind::ConsumerLeft { .. }]));
    assert_eq!((k.c.member_id.as_str(), k.c.generation), ("", -1));

    let (mut k, _) = joined(config);
    let mut out = Effects::new(TraceLevel::Summary);
    k.c.close(at(10), &mut out);
    assert_eq!(kinds(&out), Vec::<&str>::new(), "close() of a static member sends nothing");
    let (mut k, _) = joined(java());
    let mut out = Effects::new(TraceLevel::Summary);
    k.c.close(at(10), &mut out);
    assert_eq!(kinds(&out), vec!["LeaveGroup"], "a dynamic member leaves on close()");
}

// ---- §9.12: eager by default, cooperative needs two rebalances ----

#[test]
fn the_default_java_assignors_rebalance_eagerly_voting_range_after_the_pre_rebalance_commit() {
    // §9.12, §6.4: [range, cooperative-sticky] is EAGER (the highest protocol *all* assignors support), range is
    // listed first; before rejoining, the member commits what it consumed, then revokes everything, then joins.
    let mut config = ConsumerConfig::defaults(ClientProfile::Java);
    config.session_timeout_ms = SESSION_MS;
    assert_eq!(config.commit, CommitMode::Auto);
    let (mut k, join) = joined(config);
    let GroupRequest::JoinGroup { protocols, .. } = &join else { unreachable!() };
    let names: Vec<&str> = protocols.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["range", "cooperative-sticky"]);
    assert!(
        protocols.iter().all(|(_, s)| s.owned_partitions.is_empty()),
        "eager members report no owned partitions"
    );

    k.answer_fetch(at(5), 10);
    let seen = k.run_until(at(2 + HEARTBEAT_MS), Some(ErrorCode::REBALANCE_IN_PROGRESS));
    let (t, out) = seen.last().expect("answered");
    assert_eq!((*t, kinds(out)), (at(2 + HEARTBEAT_MS), vec!["OffsetCommit"]), "commit first");
    assert_eq!(out.trace, vec![], "revoke nothing yet");
    let GroupRequest::OffsetCommit { offsets, member, .. } = request(out, "OffsetCommit") else {
        unreachable!()
    };
    assert_eq!((offsets.clone(), member.generation), (vec![(tp(0), 10)], 1));
    assert_eq!(k.c.owned, vec![tp(0), tp(1)]);

    let now = at(2 + HEARTBEAT_MS + 1);
    let out = k.answer(now, "OffsetCommit", GroupResponse::OffsetCommit { result: Ok(vec![(tp(0), 10)]) });
    assert_eq!(kinds(&out), vec!["JoinGroup"]);
    assert_eq!(
        out.trace,
        vec![revoked(&["t-0", "t-1"], false, EAGER)],
        "revoked after the commit, before the join"
    );
    assert!(k.c.owned.is_empty());
}

#[test]
fn cooperative_members_keep_their_partitions_while_rejoining_and_rejoin_again_after_giving_one_up() {
    // §9.12, §6.4, §6.5 (KIP-429): a cooperative member revokes nothing before JoinGroup and reports what it owns;
    // when the assignment takes a partition away it revokes just that one and rejoins for the second rebalance.
    let mut config = java();
    config.assignors = vec!["cooperative-sticky".into()];
    let (mut k, _) = joined(config);
    let seen = k.run_until(at(2 + HEARTBEAT_MS), Some(ErrorCode::REBALANCE_IN_PROGRESS));
    let (_, out) = seen.last().expect("answered");
    assert_eq!((kinds(out), out.trace.clone()), (vec!["JoinGroup"], vec![]), "nothing revoked");
    let GroupRequest::JoinGroup { protocols, .. } = request(out, "JoinGroup") else { unreachable!() };
    assert_eq!(protocols[0].1.owned_partitions, vec![tp(0), tp(1)]);
    assert_eq!(k.c.owned, vec![tp(0), tp(1)]);

    let now = at(2 + HEARTBEAT_MS + 10);
    k.answer(now, "JoinGroup", join_ok(2, "cooperative-sticky", "m1"));
    let out = k.answer(now, "SyncGroup", GroupResponse::SyncGroup { result: Ok(vec![tp(0)]) });
    let assigned = TraceKind::PartitionsAssigned {
        consumer: "c1".into(),
        group: "g".into(),
        generation: 2,
        partitions: vec!["t-0".into()],
        added: vec![],
    };
    let moving = "cooperative rebalance: these move to another member";
    assert_eq!(out.trace, vec![revoked(&["t-1"], false, moving), assigned]);
    assert_eq!(kinds(&out), vec!["JoinGroup"], "the second rebalance hands t-1 over");
    let GroupRequest::JoinGroup { protocols, .. } = request(&out, "JoinGroup") else { unreachable!() };
    assert_eq!(protocols[0].1.owned_partitions, vec![tp(0)]);
    assert_eq!(k.c.owned, vec![tp(0)]);
}
