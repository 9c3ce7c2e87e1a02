//! The typed trace of a run: every fault, election, ISR change, truncation, client result and (at the `full`
//! level) every delivered message and fired timer. It serialises to JSON Lines, and its hash identifies the run:
//! the same scenario and seed give the same hash on every run and platform.

use super::time::SimTime;
use crate::engine::vec_map::VecMap;
use crate::kafka::types::{BrokerId, ErrorCode, LeaderEpoch, Offset, RecordId};
use serde::Serialize;

/// Whether a partition name (`topic-N`) belongs to one of Kafka's internal topics (`__consumer_offsets`).
pub fn is_internal_topic(partition: &str) -> bool {
    partition.starts_with("__")
}

/// How much a run records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceLevel {
    /// Nothing (benchmarks).
    Off,
    /// Faults, elections, ISR changes, truncations, client results, admin results, notes.
    Summary,
    /// Also every delivered or dropped message and every fired timer.
    Full,
}

/// How a leader came to be elected (`PartitionChangeBuilder`'s election types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionKind {
    /// First live ISR replica in assignment order.
    Clean,
    /// First live replica, not in the ISR (`unclean.leader.election.enable`): may lose committed data.
    Unclean,
    /// Leadership moved back to the preferred (first) replica.
    Preferred,
    /// Leadership moved away from a broker in controlled shutdown.
    ControlledShutdown,
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum TraceKind {
    /// A message reached its destination and was handled.
    MessageDelivered { from: String, to: String, kind: &'static str, summary: String },
    /// A message was dropped: cut link, loss, or a crashed destination.
    MessageDropped { from: String, to: String, kind: &'static str, reason: &'static str },
    /// A timer fired.
    TimerFired { node: String, timer: String },
    /// A fault or repair injected by the scenario or the explorer.
    Fault { fault: String },
    /// A scenario note, shown to the reader at its instant.
    Note { text: String },
    /// The controller registered a broker (after start or restart).
    BrokerRegistered { broker: BrokerId },
    /// The controller fenced a broker: no heartbeat within `broker.session.timeout.ms`, or controlled shutdown.
    BrokerFenced { broker: BrokerId, reason: String },
    /// The controller began a broker's controlled shutdown: it moves the broker's leadership away first.
    ControlledShutdown { broker: BrokerId },
    /// The controller unfenced a broker: it heartbeats again.
    BrokerUnfenced { broker: BrokerId },
    /// The controller chose a leader (`ControllerElectLeader`).
    LeaderElected {
        partition: String,
        leader: BrokerId,
        leader_epoch: LeaderEpoch,
        election: ElectionKind,
        isr: Vec<BrokerId>,
        previous_leader: Option<BrokerId>,
    },
    /// No replica may lead: the partition is offline until one returns (`leader = -1`).
    PartitionOffline {
        partition: String,
        leader_epoch: LeaderEpoch,
        isr: Vec<BrokerId>,
        unclean_enabled: bool,
    },
    /// The ISR changed (the controller committed an AlterPartition or fenced a broker).
    IsrChanged { partition: String, isr: Vec<BrokerId>, previous: Vec<BrokerId>, reason: String },
    /// A broker started leading a partition (`BecomeLeader`).
    BecomeLeader { broker: BrokerId, partition: String, leader_epoch: LeaderEpoch, log_end_offset: Offset },
    /// A broker started following a leader (`BecomeFollower`).
    BecomeFollower {
        broker: BrokerId,
        partition: String,
        leader: Option<BrokerId>,
        leader_epoch: LeaderEpoch,
    },
    /// A follower truncated its log (`BecomeFollowerAndTruncateTo`): records at or after `to` are gone.
    Truncated { broker: BrokerId, partition: String, from_leo: Offset, to: Offset, reason: String },
    /// A crash lost the unflushed tail of a broker's logs: these partitions lost records on it.
    LogTailLost { broker: BrokerId, partitions: Vec<String>, records: u64 },
    /// A leader's high watermark moved (full level only).
    HighWatermark { broker: BrokerId, partition: String, high_watermark: Offset },
    /// A producer's records were acknowledged at `base_offset..`.
    ProduceAcked {
        producer: String,
        partition: String,
        base_offset: Offset,
        records: Vec<RecordId>,
        acks: i16,
    },
    /// A producer's records failed for good.
    ProduceFailed { producer: String, partition: String, records: Vec<RecordId>, error: ErrorCode },
    /// A producer will retry a batch after an error.
    ProduceRetry { producer: String, partition: String, error: ErrorCode, attempt: u32 },
    /// An admin call's result.
    Admin { op: &'static str, request: String, error: Option<ErrorCode>, message: String },
    /// An invariant checker found a violation.
    Violation { checker: &'static str, message: String },
    /// A group started a rebalance: it went to PreparingRebalance (members must rejoin).
    RebalanceStarted { group: String, generation: i32, reason: String },
    /// The join phase ended: the new generation, its assignor, leader, the members that rejoined, and the static
    /// members kept without rejoining.
    JoinCompleted {
        group: String,
        generation: i32,
        protocol: String,
        leader: String,
        members: Vec<String>,
        kept: Vec<String>,
    },
    /// The leader's assignment is stored in `__consumer_offsets`: the group is Stable.
    GroupStable { group: String, generation: i32, protocol: String, assignment: VecMap<String, Vec<String>> },
    /// The group's last member is gone: it is Empty (its offsets stay until `offsets.retention.minutes`).
    GroupEmpty { group: String, generation: i32 },
    /// A static member (KIP-345) came back with a new member id: it takes over its old place and assignment, and
    /// the old member id is fenced.
    StaticMemberReplaced {
        group: String,
        instance_id: String,
        consumer: String,
        generation: i32,
        rebalance: bool,
    },
    /// The coordinator removed a member from a group.
    MemberRemoved { group: String, member: String, reason: String },
    /// The coordinator stored committed offsets (replicated in `__consumer_offsets`).
    OffsetsCommitted { group: String, member: String, generation: i32, offsets: VecMap<String, i64> },
    /// Committed offsets expired (`offsets.retention.minutes`) or were deleted.
    OffsetsExpired { group: String, partitions: Vec<String>, reason: String },
    /// A broker became coordinator for the groups of an offsets partition and loaded them from its log.
    CoordinatorLoaded { broker: BrokerId, partition: u32, groups: Vec<String> },
    /// A broker stopped coordinating the groups of an offsets partition.
    CoordinatorUnloaded { broker: BrokerId, partition: u32, groups: Vec<String> },
    /// A consumer found its group's coordinator on a different broker than before (after the old one failed).
    CoordinatorFound { consumer: String, group: String, broker: BrokerId, previous: BrokerId },
    /// A consumer got partitions (`onPartitionsAssigned`).
    PartitionsAssigned {
        consumer: String,
        group: String,
        generation: i32,
        partitions: Vec<String>,
        added: Vec<String>,
    },
    /// A consumer gave partitions up (`onPartitionsRevoked`, or `onPartitionsLost` when `lost`).
    PartitionsRevoked { consumer: String, group: String, partitions: Vec<String>, lost: bool, reason: String },
    /// A consumer's application processed records `from..=to` of a partition, which `poll()` had handed it at
    /// `polled_at`.
    Consumed {
        consumer: String,
        group: String,
        partition: String,
        from: Offset,
        to: Offset,
        generation: i32,
        polled_at: SimTime,
    },
    /// A consumer had no valid position and applied `auto.offset.reset` (`from`: the position it had, if any).
    OffsetReset {
        consumer: String,
        group: String,
        partition: String,
        policy: String,
        from: Option<Offset>,
        offset: Offset,
        reason: String,
    },
    /// The application moved a consumer's position (Java `seek()`).
    Seeked { consumer: String, group: String, partition: String, from: Option<Offset>, to: Offset },
    /// A consumer's process died (in-memory positions and uncommitted work are gone; no LeaveGroup).
    ConsumerCrashed { consumer: String, group: String },
    /// A consumer's commit failed.
    CommitFailed { consumer: String, group: String, error: ErrorCode, reason: String },
    /// A consumer left its group (LeaveGroup, poll timeout, close) or stopped.
    ConsumerLeft { consumer: String, group: String, reason: String },
    /// A consumer hit an error it cannot recover from, or an API the client forbids.
    ConsumerError { consumer: String, error: String, message: String },
    /// Something a reader should know about a consumer's client (a setting that does not do what it seems).
    ConsumerNote { consumer: String, message: String },
}

impl TraceKind {
    /// A stable short name of the kind, used by expectations (`kind = "LeaderElected"`).
    pub fn name(&self) -> &'static str {
        match self {
            TraceKind::MessageDelivered { .. } => "MessageDelivered",
            TraceKind::MessageDropped { .. } => "MessageDropped",
            TraceKind::TimerFired { .. } => "TimerFired",
            TraceKind::Fault { .. } => "Fault",
            TraceKind::Note { .. } => "Note",
            TraceKind::BrokerRegistered { .. } => "BrokerRegistered",
            TraceKind::BrokerFenced { .. } => "BrokerFenced",
            TraceKind::BrokerUnfenced { .. } => "BrokerUnfenced",
            TraceKind::ControlledShutdown { .. } => "ControlledShutdown",
            TraceKind::LeaderElected { .. } => "LeaderElected",
            TraceKind::PartitionOffline { .. } => "PartitionOffline",
            TraceKind::IsrChanged { .. } => "IsrChanged",
            TraceKind::BecomeLeader { .. } => "BecomeLeader",
            TraceKind::BecomeFollower { .. } => "BecomeFollower",
            TraceKind::Truncated { .. } => "Truncated",
            TraceKind::HighWatermark { .. } => "HighWatermark",
            TraceKind::LogTailLost { .. } => "LogTailLost",
            TraceKind::ProduceAcked { .. } => "ProduceAcked",
            TraceKind::ProduceFailed { .. } => "ProduceFailed",
            TraceKind::ProduceRetry { .. } => "ProduceRetry",
            TraceKind::Admin { .. } => "Admin",
            TraceKind::Violation { .. } => "Violation",
            TraceKind::RebalanceStarted { .. } => "RebalanceStarted",
            TraceKind::JoinCompleted { .. } => "JoinCompleted",
            TraceKind::GroupStable { .. } => "GroupStable",
            TraceKind::GroupEmpty { .. } => "GroupEmpty",
            TraceKind::MemberRemoved { .. } => "MemberRemoved",
            TraceKind::StaticMemberReplaced { .. } => "StaticMemberReplaced",
            TraceKind::OffsetsCommitted { .. } => "OffsetsCommitted",
            TraceKind::OffsetsExpired { .. } => "OffsetsExpired",
            TraceKind::CoordinatorLoaded { .. } => "CoordinatorLoaded",
            TraceKind::CoordinatorUnloaded { .. } => "CoordinatorUnloaded",
            TraceKind::PartitionsAssigned { .. } => "PartitionsAssigned",
            TraceKind::CoordinatorFound { .. } => "CoordinatorFound",
            TraceKind::PartitionsRevoked { .. } => "PartitionsRevoked",
            TraceKind::Consumed { .. } => "Consumed",
            TraceKind::OffsetReset { .. } => "OffsetReset",
            TraceKind::Seeked { .. } => "Seeked",
            TraceKind::ConsumerCrashed { .. } => "ConsumerCrashed",
            TraceKind::CommitFailed { .. } => "CommitFailed",
            TraceKind::ConsumerLeft { .. } => "ConsumerLeft",
            TraceKind::ConsumerError { .. } => "ConsumerError",
            TraceKind::ConsumerNote { .. } => "ConsumerNote",
        }
    }

    /// Whether the readable timeline shows it (it leaves out per-message and per-timer noise).
    pub fn is_readable(&self) -> bool {
        match self {
            // The first retry says what went wrong; the rest would drown the timeline.
            TraceKind::ProduceRetry { attempt, .. } => *attempt == 1,
            // `__consumer_offsets` has 50 partitions by default: its replicas' role changes would bury the story.
            // What matters to a reader is which broker coordinates which group, which the coordinator events say.
            TraceKind::BecomeLeader { partition, .. }
            | TraceKind::BecomeFollower { partition, .. }
            | TraceKind::LeaderElected { partition, .. }
            | TraceKind::PartitionOffline { partition, .. }
            | TraceKind::IsrChanged { partition, .. }
            | TraceKind::Truncated { partition, .. } => !is_internal_topic(partition),
            TraceKind::CoordinatorLoaded { groups, .. } | TraceKind::CoordinatorUnloaded { groups, .. } => {
                !groups.is_empty()
            }
            // The FAULT line already says it.
            TraceKind::ConsumerCrashed { .. } => false,
            TraceKind::MessageDelivered { .. }
            | TraceKind::TimerFired { .. }
            | TraceKind::HighWatermark { .. }
            | TraceKind::MessageDropped { .. } => false,
            _ => true,
        }
    }

    /// The event in plain words.
    pub fn describe(&self) -> String {
        match self {
            TraceKind::MessageDelivered { from, to, kind, summary } => format!("{from} → {to}: {kind} {summary}"),
            TraceKind::MessageDropped { from, to, kind, reason } => format!("{kind} {from} → {to} dropped: {reason}"),
            TraceKind::TimerFired { node, timer } => format!("{node}: timer {timer}"),
            TraceKind::Fault { fault } => format!("FAULT {fault}"),
            TraceKind::Note { text } => format!("NOTE {text}"),
            TraceKind::BrokerRegistered { broker } => format!("controller registers broker {broker}"),
            TraceKind::BrokerFenced { broker, reason } => format!("controller fences broker {broker}: {reason}"),
            TraceKind::BrokerUnfenced { broker } => format!("controller unfences broker {broker}"),
            TraceKind::ControlledShutdown { broker } => {
                format!("controller starts the controlled shutdown of broker {broker}: moving its leadership away")
            }
            TraceKind::LeaderElected { partition, leader, leader_epoch, election, isr, previous_leader } => {
                describe_election(partition, *leader, *leader_epoch, *election, isr, *previous_leader)
            }
            TraceKind::PartitionOffline { partition, leader_epoch, isr, unclean_enabled } => format!(
                "{partition} is OFFLINE (leader -1, epoch {leader_epoch}): no live ISR replica{}; ISR stays {}",
                if *unclean_enabled {
                    " and no other live replica to elect uncleanly"
                } else {
                    " and unclean election disabled"
                },
                brokers(isr)
            ),
            TraceKind::IsrChanged { partition, isr, previous, reason } => {
                format!("{partition} ISR {} → {}: {reason}", brokers(previous), brokers(isr))
            }
            TraceKind::BecomeLeader { broker, partition, leader_epoch, log_end_offset } => format!(
                "broker {broker} becomes leader of {partition} in epoch {leader_epoch} (epoch starts at offset \
                 {log_end_offset})"
            ),
            TraceKind::BecomeFollower { broker, partition, leader, leader_epoch } => match leader {
                Some(l) => format!("broker {broker} follows broker {l} for {partition} (epoch {leader_epoch})"),
                None => format!("broker {broker} has no leader to follow for {partition} (epoch {leader_epoch})"),
            },
            TraceKind::Truncated { broker, partition, from_leo, to, reason } => format!(
                "broker {broker} truncates {partition} from LEO {from_leo} to {to}: {reason}; offsets {to}..{} \
                 are gone from it",
                from_leo - 1
            ),
            TraceKind::LogTailLost { broker, partitions, records } => format!(
                "broker {broker} lost the last {records} record(s) of {} with its page cache",
                partitions.join(", ")
            ),
            TraceKind::HighWatermark { broker, partition, high_watermark } => {
                format!("broker {broker}: {partition} high watermark {high_watermark}")
            }
            TraceKind::ProduceAcked { producer, partition, base_offset, records, acks } => format!(
                "{producer}: {} acked on {partition} at offset {base_offset}{} (acks={})",
                records_label(records),
                if records.len() > 1 { format!("..{}", base_offset + records.len() as i64 - 1) } else { String::new() },
                acks_label(*acks)
            ),
            TraceKind::ProduceFailed { producer, partition, records, error } => {
                format!("{producer}: {} to {partition} FAILED with {error}", records_label(records))
            }
            TraceKind::ProduceRetry { producer, partition, error, attempt } => {
                format!("{producer}: retry #{attempt} of a batch to {partition} after {error}")
            }
            TraceKind::Admin { op, request, error, message } => match error {
                Some(e) => format!("admin {op} {request} → {e}: {message}"),
                None => format!("admin {op} {request} → ok: {message}"),
            },
            TraceKind::Violation { checker, message } => format!("VIOLATION [{checker}] {message}"),
            TraceKind::RebalanceStarted { group, generation, reason } => {
                format!("group {group} starts a rebalance (generation {generation} ends): {reason}")
            }
            TraceKind::JoinCompleted { group, generation, protocol, leader, members, kept } => format!(
                "group {group} generation {generation}: {} joined{}, leader {leader}, assignor {protocol}",
                members.join(", "),
                if kept.is_empty() {
                    String::new()
                } else {
                    format!(" ({} kept without rejoining: static)", kept.join(", "))
                }
            ),
            TraceKind::GroupStable { group, generation, assignment, .. } => {
                let parts: Vec<String> =
                    assignment.iter().map(|(m, ps)| format!("{m} → [{}]", ps.join(", "))).collect();
                format!("group {group} generation {generation} is Stable: {}", parts.join("; "))
            }
            TraceKind::GroupEmpty { group, generation } => {
                format!("group {group} is Empty (generation {generation}): no members left")
            }
            TraceKind::StaticMemberReplaced { group, instance_id, consumer, generation, rebalance } => format!(
                "group {group}: static member {instance_id} ({consumer}) is back with a new member id; the old id is \
                 fenced{}",
                if *rebalance {
                    ", and the group rebalances".to_string()
                } else {
                    format!(": it keeps its assignment in generation {generation}, no rebalance")
                }
            ),
            TraceKind::MemberRemoved { group, member, reason } => {
                format!("coordinator removes {member} from group {group}: {reason}")
            }
            TraceKind::OffsetsCommitted { group, member, generation, offsets } => {
                let parts: Vec<String> = offsets.iter().map(|(p, o)| format!("{p}={o}")).collect();
                format!("group {group}: {member} committed {} (generation {generation})", parts.join(", "))
            }
            TraceKind::OffsetsExpired { group, partitions, reason } => {
                format!("group {group}: offsets of {} removed: {reason}", partitions.join(", "))
            }
            TraceKind::CoordinatorLoaded { broker, partition, groups } => format!(
                "broker {broker} is now coordinator for __consumer_offsets-{partition}{}",
                if groups.is_empty() { String::new() } else { format!(" and loaded group(s) {}", groups.join(", ")) }
            ),
            TraceKind::CoordinatorUnloaded { broker, partition, groups } => format!(
                "broker {broker} is no longer coordinator for __consumer_offsets-{partition}{}",
                if groups.is_empty() { String::new() } else { format!(" (group(s) {})", groups.join(", ")) }
            ),
            TraceKind::CoordinatorFound { consumer, group, broker, previous } => format!(
                "{consumer}: FindCoordinator says broker {broker} now coordinates group {group} (was broker {previous})"
            ),
            TraceKind::PartitionsAssigned { consumer, group, generation, partitions, added } => format!(
                "{consumer} ({group} generation {generation}) owns [{}]{}",
                partitions.join(", "),
                if added.is_empty() { String::new() } else { format!(", newly assigned [{}]", added.join(", ")) }
            ),
            TraceKind::PartitionsRevoked { consumer, group, partitions, lost, reason } => format!(
                "{consumer} ({group}) {} [{}]: {reason}",
                if *lost { "LOST" } else { "revokes" },
                partitions.join(", ")
            ),
            TraceKind::Consumed { consumer, partition, from, to, .. } => {
                if from == to {
                    format!("{consumer} processes {partition} offset {from}")
                } else {
                    format!("{consumer} processes {partition} offsets {from}..{to}")
                }
            }
            TraceKind::OffsetReset { consumer, partition, policy, offset, reason, .. } => {
                format!("{consumer}: {partition} {reason}; auto.offset.reset={policy} → position {offset}")
            }
            TraceKind::Seeked { consumer, partition, from, to, .. } => match from {
                Some(f) => format!("{consumer} seeks {partition} from position {f} to {to}"),
                None => format!("{consumer} seeks {partition} to {to}"),
            },
            TraceKind::ConsumerCrashed { consumer, .. } => {
                format!("{consumer}'s process is gone: positions and unprocessed records are lost")
            }
            TraceKind::CommitFailed { consumer, group, error, reason } => {
                format!("{consumer}: commit to group {group} FAILED with {error}: {reason}")
            }
            TraceKind::ConsumerLeft { consumer, group, reason } => format!("{consumer} leaves group {group}: {reason}"),
            TraceKind::ConsumerError { consumer, error, message } => format!("{consumer}: {error}: {message}"),
            TraceKind::ConsumerNote { consumer, message } => format!("{consumer}: {message}"),
        }
    }
}

fn describe_election(
    partition: &str,
    leader: BrokerId,
    epoch: LeaderEpoch,
    election: ElectionKind,
    isr: &[BrokerId],
    previous: Option<BrokerId>,
) -> String {
    let why = match election {
        ElectionKind::Clean => "first live ISR replica in assignment order",
        ElectionKind::Unclean => {
            "UNCLEAN: no live ISR replica, first live replica (unclean.leader.election.enable=true); records it \
             lacks are lost"
        }
        ElectionKind::Preferred => "preferred replica is back in the ISR",
        ElectionKind::ControlledShutdown => "the previous leader is shutting down",
    };
    let prev = previous.map(|p| format!(" (was {p})")).unwrap_or_default();
    format!(
        "controller elects broker {leader} for {partition}{prev}, epoch {epoch}, ISR {}: {why}",
        brokers(isr)
    )
}

fn brokers(ids: &[BrokerId]) -> String {
    let list: Vec<String> = ids.iter().map(|b| b.0.to_string()).collect();
    format!("[{}]", list.join(","))
}

fn acks_label(acks: i16) -> &'static str {
    match acks {
        0 => "0",
        1 => "1",
        _ => "all",
    }
}

fn records_label(records: &[RecordId]) -> String {
    match records {
        [one] => format!("record #{}", one.seq),
        [first, .., last] => format!("records #{}..#{}", first.seq, last.seq),
        [] => "no records".to_string(),
    }
}

/// One trace line: when, which step, what.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEvent {
    /// The scheduler step (event number) that produced it.
    pub step: u64,
    /// Simulated time.
    pub at: SimTime,
    /// What happened.
    #[serde(flatten)]
    pub kind: TraceKind,
}

/// A point of a trace: its length and the hash of the events before it (see [`Trace::rewind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceMark {
    len: usize,
    hash: u64,
}

impl TraceMark {
    /// The number of events before this point.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event comes before it.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The recorded trace with a running hash of its JSON Lines.
#[derive(Clone, Debug)]
pub struct Trace {
    level: TraceLevel,
    events: Vec<TraceEvent>,
    hash: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Trace {
    /// An empty trace recording at `level`.
    pub fn new(level: TraceLevel) -> Self {
        Self { level, events: Vec::new(), hash: FNV_OFFSET }
    }

    /// The level.
    pub fn level(&self) -> TraceLevel {
        self.level
    }

    /// Records an event and folds its JSON line into the hash.
    pub fn record(&mut self, event: TraceEvent) {
        if self.level == TraceLevel::Off {
            return;
        }
        let line = serde_json::to_string(&event).expect("trace events always serialise");
        self.hash = fnv1a(self.hash, line.as_bytes());
        self.hash = fnv1a(self.hash, b"\n");
        self.events.push(event);
    }

    /// The events so far.
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// Where the trace is now: its length and hash, to [`Trace::rewind`] to later.
    pub fn mark(&self) -> TraceMark {
        TraceMark { len: self.events.len(), hash: self.hash }
    }

    /// Goes back to `mark`, which this trace passed earlier (the explorer restores a checkpoint taken there and
    /// keeps the one trace instead of a copy per checkpoint). Unlike [`Trace::truncate`] it does not re-hash the
    /// events it keeps, so it costs nothing however long the run was.
    pub fn rewind(&mut self, mark: TraceMark) {
        assert!(mark.len <= self.events.len(), "a trace can only rewind to a point it has passed");
        self.events.truncate(mark.len);
        self.hash = mark.hash;
    }

    /// Extends this trace up to `mark` of `longer`, a trace of the same run that this one is a prefix of (the
    /// explorer moves a world restored from a checkpoint forward without replaying what another copy of the run
    /// already recorded). Copies only the missing events and takes the hash from the mark.
    pub fn catch_up(&mut self, longer: &Trace, mark: TraceMark) {
        assert!(
            self.events.len() <= mark.len && mark.len <= longer.events.len(),
            "catch_up needs a prefix of the longer trace and a mark within it"
        );
        self.events.extend_from_slice(&longer.events[self.events.len()..mark.len]);
        self.hash = mark.hash;
    }

    /// Forgets events after `len` (used when the explorer rewinds to a checkpoint). The hash is recomputed.
    pub fn truncate(&mut self, len: usize) {
        self.events.truncate(len);
        let mut h = FNV_OFFSET;
        for e in &self.events {
            let line = serde_json::to_string(e).expect("trace events always serialise");
            h = fnv1a(fnv1a(h, line.as_bytes()), b"\n");
        }
        self.hash = h;
    }

    /// The 64-bit FNV-1a hash of the JSON Lines recorded so far, as 16 hex digits.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash)
    }

    /// The whole trace as JSON Lines.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&serde_json::to_string(e).expect("trace events always serialise"));
            out.push('\n');
        }
        out
    }
}

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_content_and_order() {
        let a = TraceEvent { step: 1, at: SimTime(5), kind: TraceKind::Note { text: "a".into() } };
        let b = TraceEvent { step: 2, at: SimTime(6), kind: TraceKind::Note { text: "b".into() } };
        let mut t1 = Trace::new(TraceLevel::Summary);
        t1.record(a.clone());
        t1.record(b.clone());
        let mut t2 = Trace::new(TraceLevel::Summary);
        t2.record(b);
        t2.record(a);
        assert_ne!(t1.hash_hex(), t2.hash_hex());
        let before = t1.hash_hex();
        t1.truncate(2);
        assert_eq!(t1.hash_hex(), before, "recomputing gives the same hash");
    }

    #[test]
    fn rewinding_to_a_mark_restores_length_and_hash() {
        let note = |step, text: &str| TraceEvent {
            step,
            at: SimTime(step),
            kind: TraceKind::Note { text: text.into() },
        };
        let mut t = Trace::new(TraceLevel::Full);
        t.record(note(1, "a"));
        let mark = t.mark();
        let hash_at_mark = t.hash_hex();
        t.record(note(2, "b"));
        t.record(note(3, "c"));
        t.rewind(mark);
        assert_eq!((t.events().len(), t.hash_hex()), (1, hash_at_mark.clone()));
        let mut recomputed = t.clone();
        recomputed.truncate(1);
        assert_eq!(recomputed.hash_hex(), hash_at_mark, "the kept hash is the hash of the kept events");
        t.record(note(2, "b"));
        let end = t.mark();
        let mut short = Trace::new(TraceLevel::Full);
        short.catch_up(&t, end);
        assert_eq!((short.events(), short.hash_hex()), (t.events(), t.hash_hex()), "caught up from empty");
    }

    #[test]
    fn json_line_is_flat_and_tagged() {
        let e =
            TraceEvent { step: 3, at: SimTime(7), kind: TraceKind::BrokerRegistered { broker: BrokerId(2) } };
        let line = serde_json::to_string(&e).unwrap();
        assert_eq!(line, r#"{"step":3,"at":7,"type":"BrokerRegistered","broker":2}"#);
    }
}
