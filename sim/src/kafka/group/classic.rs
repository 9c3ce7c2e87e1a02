//! A classic group's state (`ClassicGroup`) and its state machine (`ClassicGroupState`):
//!
//! ```text
//!            first member added              join phase done (≥1 member)        leader's assignment stored
//!   Empty ─────────────────────▶ PreparingRebalance ─────────────────▶ CompletingRebalance ─────────▶ Stable
//!     ▲                             │  ▲        ▲                               │                    │
//!     └──── join done, 0 members ───┘  │        └─── join/leave/expiry ─────────┘                    │
//!                                      └──────────────── join/leave/expiry ──────────────────────────┘
//!   any ──(coordinator unloads)──▶ Dead
//! ```
//!
//! Stable or CompletingRebalance never go straight to Empty: losing the last member passes through
//! PreparingRebalance with a generation bump ([CGS]:29-117).

use super::member::Member;
use crate::engine::time::SimTime;
use crate::engine::vec_map::VecMap;
use crate::engine::vec_map::VecSet;
use serde::Serialize;
use std::rc::Rc;

/// `ClassicGroupState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum GroupState {
    /// No members (offsets may remain).
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Every member has its assignment.
    Stable,
    /// Unloaded or deleted.
    Dead,
}

impl GroupState {
    /// Kafka's name.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }

    /// The states a transition to `self` may come from ([CGS]).
    fn valid_previous(self) -> &'static [GroupState] {
        use GroupState::*;
        match self {
            PreparingRebalance => &[Stable, CompletingRebalance, Empty],
            CompletingRebalance => &[PreparingRebalance],
            Stable => &[CompletingRebalance],
            Empty => &[PreparingRebalance],
            Dead => &[Empty, PreparingRebalance, CompletingRebalance, Stable, Dead],
        }
    }
}

/// The join-phase timer, with the initial-rebalance delay's bookkeeping (`InitialDelayedJoin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinTimer {
    /// When it fires.
    pub deadline: SimTime,
    /// For the initial rebalance: the delay that is running and what is left of the rebalance timeout.
    pub initial: Option<(u64, u64)>,
}

/// A classic group.
#[derive(Clone, Debug)]
pub struct ClassicGroup {
    /// `group.id`.
    pub id: Rc<str>,
    /// Its state.
    pub state: GroupState,
    /// The state before the last transition.
    pub previous_state: GroupState,
    /// When the state last changed (offset retention of an Empty group counts from here).
    pub state_since: SimTime,
    /// Bumped at each join completion.
    pub generation: i32,
    /// `"consumer"` once a member joined; `None` for a group made by commits alone (a "simple" group).
    pub protocol_type: Option<String>,
    /// The selected assignor.
    pub protocol_name: Option<String>,
    /// The leader's member id.
    pub leader: Option<String>,
    /// Members, in the order they were added (Kafka's map order stands in for it where a tie needs an order).
    pub members: Vec<Member>,
    /// `group.instance.id` → member id.
    pub static_members: VecMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with their session deadline.
    pub pending_join: VecMap<String, SimTime>,
    /// Members expected to send SyncGroup in this generation.
    pub pending_sync: VecSet<String>,
    /// Set when a member is added during the initial rebalance: the delay is extended.
    pub new_member_added: bool,
    /// The join timer.
    pub join_timer: Option<JoinTimer>,
    /// The sync timer, with the generation it guards.
    pub sync_timer: Option<(SimTime, i32)>,
    /// Why the current rebalance started, for the trace.
    pub rebalance_reason: String,
}

impl ClassicGroup {
    /// A new Empty group.
    pub fn new(id: Rc<str>, now: SimTime) -> Self {
        Self {
            id,
            state: GroupState::Empty,
            previous_state: GroupState::Empty,
            state_since: now,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: Vec::new(),
            static_members: VecMap::new(),
            pending_join: VecMap::new(),
            pending_sync: VecSet::new(),
            new_member_added: false,
            join_timer: None,
            sync_timer: None,
            rebalance_reason: String::new(),
        }
    }

    /// Moves to `to`, asserting the transition is legal (`ClassicGroup.transitionTo`).
    pub fn transition_to(&mut self, to: GroupState, now: SimTime) {
        assert!(
            to.valid_previous().contains(&self.state),
            "group {}: illegal transition {:?} → {:?}",
            self.id,
            self.state,
            to
        );
        self.previous_state = self.state;
        self.state = to;
        self.state_since = now;
    }

    /// Whether a rebalance may start now (`canRebalance`).
    pub fn can_rebalance(&self) -> bool {
        matches!(self.state, GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty)
    }

    /// The member with this id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// The member with this id, mutably.
    pub fn member_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    /// Whether `id` is a member.
    pub fn has_member(&self, id: &str) -> bool {
        self.member(id).is_some()
    }

    /// Members whose JoinGroup is parked.
    pub fn awaiting_join_count(&self) -> usize {
        self.members.iter().filter(|m| m.awaiting_join.is_some()).count()
    }

    /// Every member has rejoined and no MEMBER_ID_REQUIRED member is outstanding (`hasAllMembersJoined`).
    pub fn has_all_members_joined(&self) -> bool {
        self.members.len() == self.awaiting_join_count() && self.pending_join.is_empty()
    }

    /// The group's rebalance timeout: the largest of its members' (`rebalanceTimeoutMs`, recomputed each time a
    /// timer is armed).
    pub fn rebalance_timeout_ms(&self) -> u64 {
        self.members.iter().map(|m| m.rebalance_timeout_ms).max().unwrap_or(0)
    }

    /// `validateMember`: the member exists and, if it names an instance id, that id maps to it.
    pub fn validate_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), crate::kafka::types::ErrorCode> {
        use crate::kafka::types::ErrorCode;
        if let Some(instance) = instance_id {
            return match self.static_members.get(instance) {
                None => Err(ErrorCode::UNKNOWN_MEMBER_ID),
                Some(mapped) if mapped != member_id => Err(ErrorCode::FENCED_INSTANCE_ID),
                Some(_) => Ok(()),
            };
        }
        if self.has_member(member_id) {
            Ok(())
        } else {
            Err(crate::kafka::types::ErrorCode::UNKNOWN_MEMBER_ID)
        }
    }

    /// Whether a member with these protocols may join (`supportsProtocols`): an Empty group takes any non-empty
    /// list; otherwise one of them must be supported by every member.
    pub fn supports_protocols(&self, protocol_type: &str, protocols: &[&str]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|p| self.members.iter().all(|m| m.supports(p)))
    }

    /// Protocol selection: every member votes for its first protocol that all members support; most votes
    /// win. Kafka breaks a tie by hash-map order; we break it by the first member's preference order.
    pub fn select_protocol(&self) -> Option<String> {
        let first = self.members.first()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|p| self.members.iter().all(|m| m.supports(p)))
            .collect();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for m in &self.members {
            if let Some(v) = m.vote(&candidates) {
                if let Some(entry) = votes.iter_mut().find(|(n, _)| *n == v) {
                    entry.1 += 1;
                }
            }
        }
        let best = votes.iter().map(|(_, n)| *n).max()?;
        votes.iter().find(|(_, n)| *n == best).map(|(name, _)| name.to_string())
    }

    /// Removes a member and re-elects the leader if it was the leader (first remaining member).
    pub fn remove_member(&mut self, id: &str) -> Option<Member> {
        let i = self.members.iter().position(|m| m.id == id)?;
        let m = self.members.remove(i);
        if let Some(instance) = &m.instance_id {
            if self.static_members.get(instance).is_some_and(|mapped| *mapped == m.id) {
                self.static_members.remove(instance);
            }
        }
        self.pending_sync.remove(id);
        if self.leader.as_deref() == Some(id) {
            self.leader = self.members.first().map(|m| m.id.clone());
        }
        // The protocol type stays when the last member goes: an Empty consumer group is not a simple group, and
        // its offsets expire `offsets.retention.minutes` after it became Empty, not after their commit
        // (`ClassicGroup.remove` leaves `protocolType` alone; `offsetExpirationCondition`, [CG]:943-967).
        Some(m)
    }

    /// The member ids' client names, for the trace.
    pub fn client_of(&self, member_id: &str) -> String {
        self.member(member_id).map_or_else(|| member_id.to_string(), |m| m.client_id.to_string())
    }
}
