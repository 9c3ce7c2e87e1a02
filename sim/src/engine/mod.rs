//! The scheduler and everything around it: virtual time, the `(time, seq)` event queue, seeded RNG streams, the
//! network model, faults, the trace, and the world loop in which one `step()` handles exactly one event.

pub mod action;
pub mod network;
pub mod node_table;
pub mod queue;
pub mod rng;
pub mod sort;
pub mod time;
pub mod trace;
pub mod vec_map;
pub mod world;

use crate::kafka::messages::Msg;
use crate::kafka::types::{BrokerId, ClientId, Tp};
use serde::Serialize;
use std::fmt;
use time::SimTime;
use trace::{TraceKind, TraceLevel};

/// A node of the simulated cluster. Nodes sort as the controller, then brokers by id, then clients by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum NodeId {
    /// The active KRaft controller. (A controller quorum with its own election is a later step; brokers and
    /// clients only ever address "the controller", so the active one can move.)
    Controller,
    /// A broker.
    Broker(BrokerId),
    /// A client: producer, consumer or admin.
    Client(ClientId),
}

impl NodeId {
    /// A number that sorts as the node does. The world and the network search their per-node and per-link state
    /// by node on every event; comparing one integer is much cheaper than a derived enum comparison.
    pub fn rank(self) -> u64 {
        match self {
            NodeId::Controller => 0,
            // Shifted so that negative broker ids still sort below positive ones, as i32s do.
            NodeId::Broker(b) => (1 << 32) + (i64::from(b.0) - i64::from(i32::MIN)) as u64,
            NodeId::Client(c) => (2 << 32) + u64::from(c.0),
        }
    }
}

impl Ord for NodeId {
    /// The order a derived `Ord` would give (variants in declaration order, then their ids), computed by rank.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for NodeId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Controller => f.write_str("controller"),
            NodeId::Broker(b) => write!(f, "broker {b}"),
            NodeId::Client(c) => write!(f, "client {}", c.0),
        }
    }
}

/// A timer a node asked for. Nodes ignore timers that are no longer current (no cancellation needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Broker: send the next heartbeat to the controller.
    BrokerHeartbeat,
    /// Broker: look for followers that fell out of sync (`replica.lag.time.max.ms`).
    IsrCheck,
    /// Broker: some held fetch may have waited its `max_wait_ms`; answer those with what there is.
    FetchExpire,
    /// Broker: some acks=all produce may have waited its whole timeout.
    ProduceExpire,
    /// Broker: the replica fetcher for a leader may fetch again (after an error backoff).
    FetcherWake { leader: BrokerId, generation: u64 },
    /// Broker: a follower's fetch got no answer within `replica.socket.timeout.ms`; send a new one.
    FetchTimeout { leader: BrokerId },
    /// Broker: the group coordinator's earliest deadline (join, sync, session timers; loads; write timeouts).
    GroupCoordinator,
    /// Broker: remove expired committed offsets (`offsets.retention.check.interval.ms`).
    OffsetsRetention,
    /// Controller: look for brokers whose session expired.
    SessionCheck,
    /// Controller: check leader balance (`leader.imbalance.check.interval.seconds`).
    LeaderImbalanceCheck,
    /// Producer: `linger.ms` elapsed for a partition's open batch.
    Linger { tp: Tp, batch: u64 },
    /// Producer: some waiting batch may have reached `delivery.timeout.ms` since it was created.
    DeliveryTimeout,
    /// Producer: some request in flight may have passed `request.timeout.ms`.
    InFlightCheck,
    /// Client: no answer to a request within `request.timeout.ms`.
    RequestTimeout { correlation: u64 },
    /// Producer: `retry.backoff.ms` elapsed for a partition.
    RetryBackoff { tp: Tp },
    /// Client: refresh metadata (`metadata.max.age.ms`).
    MetadataRefresh,
    /// Client: ask for metadata again after a failed or unhelpful attempt (`retry.backoff.ms`).
    MetadataRetry,
    /// Consumer: its earliest deadline (heartbeat, poll deadline, processing, auto-commit, backoffs, requests).
    ClientWake,
    /// Producer: the next record of a workload is due.
    Workload { task: u32 },
}

/// What a node receives.
#[derive(Clone, Debug)]
pub enum Input {
    /// A message from another node.
    Message { from: NodeId, msg: Msg },
    /// One of its timers fired.
    Timer(Timer),
}

/// What a node asks the world to do. Effects are data: only the world executes them.
#[derive(Clone, Debug)]
pub struct Effects {
    /// Messages to send, each with extra delay in microseconds before it leaves (CPU time, e.g. compression).
    pub sends: Vec<(NodeId, Msg, u64)>,
    /// Timers to set: (when, which).
    pub timers: Vec<(SimTime, Timer)>,
    /// Things that happened, for the trace.
    pub trace: Vec<TraceKind>,
    /// Set by a broker that finished its controlled shutdown: the world stops it.
    pub stop: bool,
    level: TraceLevel,
}

impl Effects {
    /// Empty effects for a run recording at `level`.
    pub fn new(level: TraceLevel) -> Self {
        Self { sends: Vec::new(), timers: Vec::new(), trace: Vec::new(), stop: false, level }
    }

    /// Queues a message.
    pub fn send(&mut self, to: NodeId, msg: Msg) {
        self.sends.push((to, msg, 0));
    }

    /// Queues a message that leaves after `delay_us` of local work (e.g. compressing the batch).
    pub fn send_after(&mut self, to: NodeId, msg: Msg, delay_us: u64) {
        self.sends.push((to, msg, delay_us));
    }

    /// Sets a timer.
    pub fn timer(&mut self, at: SimTime, timer: Timer) {
        self.timers.push((at, timer));
    }

    /// Whether summary-level trace events are recorded (build them only then: they allocate).
    pub fn tracing(&self) -> bool {
        self.level >= TraceLevel::Summary
    }

    /// Whether full-level trace events are recorded.
    pub fn tracing_full(&self) -> bool {
        self.level >= TraceLevel::Full
    }

    /// Records a trace event (callers check [`Effects::tracing`] first when building it is costly).
    pub fn trace(&mut self, kind: TraceKind) {
        if self.level >= TraceLevel::Summary {
            self.trace.push(kind);
        }
    }
}

/// One timer standing for many deadlines (request, fetch and delivery timeouts). Most deadlines are met long before
/// they pass, so setting a timer per deadline would fill the queue with events that do nothing; instead the node
/// keeps its deadlines and this timer is armed for the earliest one, then re-armed for the next when it fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LazyTimer {
    armed: Option<SimTime>,
}

impl LazyTimer {
    /// Arms `timer` for `deadline`, unless it already fires at or before it.
    pub fn arm(&mut self, deadline: SimTime, timer: Timer, out: &mut Effects) {
        if self.armed.is_none_or(|t| t > deadline) {
            self.armed = Some(deadline);
            out.timer(deadline, timer);
        }
    }

    /// Called when the timer fires: false for a firing superseded by an earlier re-arm (the one for the current
    /// deadline is still to come); otherwise disarms it, and the caller handles what is due and re-arms.
    pub fn fire(&mut self, now: SimTime) -> bool {
        if self.armed.is_some_and(|t| t > now) {
            return false;
        }
        self.armed = None;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_sort_as_a_derived_order_would() {
        let mut nodes = vec![
            NodeId::Client(ClientId(3)),
            NodeId::Broker(BrokerId(2)),
            NodeId::Client(ClientId(0)),
            NodeId::Broker(BrokerId(-1)),
            NodeId::Controller,
            NodeId::Broker(BrokerId(i32::MAX)),
            NodeId::Broker(BrokerId(i32::MIN)),
            NodeId::Client(ClientId(u32::MAX)),
        ];
        nodes.sort();
        let expected = vec![
            NodeId::Controller,
            NodeId::Broker(BrokerId(i32::MIN)),
            NodeId::Broker(BrokerId(-1)),
            NodeId::Broker(BrokerId(2)),
            NodeId::Broker(BrokerId(i32::MAX)),
            NodeId::Client(ClientId(0)),
            NodeId::Client(ClientId(3)),
            NodeId::Client(ClientId(u32::MAX)),
        ];
        assert_eq!(nodes, expected);
    }

    #[test]
    fn a_lazy_timer_is_armed_for_the_earliest_deadline_only() {
        let mut t = LazyTimer::default();
        let mut out = Effects::new(TraceLevel::Off);
        t.arm(SimTime(50), Timer::ProduceExpire, &mut out);
        t.arm(SimTime(80), Timer::ProduceExpire, &mut out);
        t.arm(SimTime(20), Timer::ProduceExpire, &mut out);
        let at: Vec<SimTime> = out.timers.iter().map(|(at, _)| *at).collect();
        assert_eq!(at, vec![SimTime(50), SimTime(20)], "a later deadline sets no timer");
        assert!(t.fire(SimTime(20)));
        assert_eq!(t, LazyTimer::default(), "disarmed after firing");
        t.arm(SimTime(90), Timer::ProduceExpire, &mut out);
        assert!(!t.fire(SimTime(50)), "the superseded firing at 50 does nothing");
        assert!(t.fire(SimTime(90)));
    }
}
