//! One member of a classic group as the coordinator keeps it (`ClassicGroupMember`).

use crate::engine::time::SimTime;
use crate::engine::NodeId;
use crate::kafka::assignor::{Subscription, TopicPartition};
use std::rc::Rc;

/// Where to send the answer to a parked request: the client and the request's correlation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyTo {
    /// The client node.
    pub node: NodeId,
    /// The request's correlation id.
    pub correlation: u64,
}

/// A group member.
#[derive(Clone, Debug)]
pub struct Member {
    /// `member.id`: `<client.id or group.instance.id>-<unique suffix>`.
    pub id: String,
    /// `group.instance.id` (static membership).
    pub instance_id: Option<String>,
    /// The client's `client.id` (the consumer's scenario name).
    pub client_id: Rc<str>,
    /// The client node, for the view.
    pub node: NodeId,
    /// `session.timeout.ms` it asked for.
    pub session_timeout_ms: u64,
    /// Its rebalance timeout (`max.poll.interval.ms` for the Java client).
    pub rebalance_timeout_ms: u64,
    /// (assignor, subscription) in the member's preference order, as last sent.
    pub protocols: Rc<Vec<(String, Subscription)>>,
    /// Its assignment in the current generation.
    pub assignment: Vec<TopicPartition>,
    /// Its JoinGroup parked until the join phase completes.
    pub awaiting_join: Option<ReplyTo>,
    /// Its SyncGroup parked until the leader's assignment is stored.
    pub awaiting_sync: Option<ReplyTo>,
    /// Added in this rebalance and not yet answered: its heartbeat deadline is the fixed 5-minute new-member
    /// join timeout, and a parked join does not keep it alive (`isNew`).
    pub is_new: bool,
    /// When its session expires unless it heartbeats (the member's heartbeat timer); `None` while disarmed.
    pub heartbeat_deadline: Option<SimTime>,
}

impl Member {
    /// The member's subscription for `protocol`, if it supports it.
    pub fn subscription(&self, protocol: &str) -> Option<&Subscription> {
        self.protocols.iter().find(|(name, _)| name == protocol).map(|(_, s)| s)
    }

    /// Whether it supports `protocol`.
    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(name, _)| name == protocol)
    }

    /// Its vote in protocol selection: the first of its protocols that every member supports
    /// (`ClassicGroupMember.vote`).
    pub fn vote<'a>(&'a self, candidates: &[&str]) -> Option<&'a str> {
        self.protocols.iter().map(|(n, _)| n.as_str()).find(|n| candidates.contains(n))
    }

    /// Whether it counts as alive when its heartbeat timer fires: a member (not new) parked in a join or sync
    /// is satisfied by the rebalance's own timers (`ClassicGroupMember.hasSatisfiedHeartbeat`).
    pub fn has_satisfied_heartbeat(&self) -> bool {
        !self.is_new && (self.awaiting_join.is_some() || self.awaiting_sync.is_some())
    }
}
