//! What the page reads out of a trace: the readable log lines, the timeline's markers (the interesting events:
//! faults, elections, ISR changes, rebalances, violations), and the messages of the sequence diagram.

use kafkasim::engine::trace::{TraceEvent, TraceKind};
use serde::Serialize;

/// One readable trace event, as the page's event log shows it.
#[derive(Clone, Debug, Serialize)]
pub struct EventLine {
    /// Position in the full trace.
    pub index: usize,
    /// Simulated time, readable (`12.345s`).
    pub at: String,
    /// Simulated time in microseconds.
    pub at_us: u64,
    /// The scheduler step that produced it.
    pub step: u64,
    /// The trace kind (`LeaderElected`, `Fault`, ...).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The event in plain words.
    pub text: String,
    /// The marker class when it is an interesting event (see [`marker_class`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<&'static str>,
}

impl EventLine {
    /// The line for trace event `index`.
    pub fn new(index: usize, e: &TraceEvent) -> EventLine {
        EventLine {
            index,
            at: e.at.to_string(),
            at_us: e.at.0,
            step: e.step,
            kind: e.kind.name(),
            text: e.kind.describe(),
            mark: marker_class(&e.kind),
        }
    }
}

/// The class of an interesting event: what "step to the next interesting event" stops at and the timeline
/// marks. `None` for the rest (acks, commits, fetches, role changes that follow an election...).
pub fn marker_class(kind: &TraceKind) -> Option<&'static str> {
    Some(match kind {
        TraceKind::Fault { .. } | TraceKind::LogTailLost { .. } => "fault",
        TraceKind::LeaderElected { .. } | TraceKind::PartitionOffline { .. } => "election",
        TraceKind::IsrChanged { .. } | TraceKind::Truncated { .. } => "isr",
        TraceKind::BrokerFenced { .. }
        | TraceKind::BrokerUnfenced { .. }
        | TraceKind::ControlledShutdown { .. } => "fencing",
        TraceKind::RebalanceStarted { .. }
        | TraceKind::GroupStable { .. }
        | TraceKind::GroupEmpty { .. }
        | TraceKind::MemberRemoved { .. }
        | TraceKind::PartitionsAssigned { .. }
        | TraceKind::StaticMemberReplaced { .. }
        | TraceKind::PartitionsRevoked { .. } => "rebalance",
        TraceKind::ProduceFailed { .. }
        | TraceKind::ConsumerCrashed { .. }
        | TraceKind::CommitFailed { .. }
        | TraceKind::ConsumerError { .. }
        | TraceKind::ConsumerLeft { .. }
        | TraceKind::OffsetsExpired { .. } => "client",
        TraceKind::Violation { .. } => "violation",
        TraceKind::Note { .. } => "note",
        _ => return None,
    })
}

/// An interesting event on the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct Marker {
    /// Position in the trace.
    pub index: usize,
    /// The step that produced it: seeking to this step shows the world just after it.
    pub step: u64,
    /// Simulated time in microseconds.
    pub at_us: u64,
    /// `fault`, `election`, `isr`, `fencing`, `rebalance`, `client`, `violation`, `note`.
    pub class: &'static str,
    /// The trace kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The event in plain words (the marker's tooltip).
    pub text: String,
}

/// The markers among trace events `from..`.
pub fn markers(events: &[TraceEvent], from: usize) -> Vec<Marker> {
    events
        .iter()
        .enumerate()
        .skip(from.min(events.len()))
        .filter_map(|(index, e)| {
            marker_class(&e.kind).map(|class| Marker {
                index,
                step: e.step,
                at_us: e.at.0,
                class,
                kind: e.kind.name(),
                text: e.kind.describe(),
            })
        })
        .collect()
}

/// One message of the sequence diagram: delivered, or dropped on the way.
#[derive(Clone, Debug, Serialize)]
pub struct MessageLine {
    /// Position in the trace.
    pub index: usize,
    /// The step that delivered (or dropped) it.
    pub step: u64,
    /// Simulated time in microseconds of the delivery (or of the drop: when it was sent).
    pub at_us: u64,
    /// The sender's name.
    pub from: String,
    /// The receiver's name.
    pub to: String,
    /// Kafka's request or response name (`Fetch`, `JoinGroupResponse`...).
    pub kind: &'static str,
    /// What it carried, briefly.
    pub summary: String,
    /// Why it was dropped; `None` when delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<&'static str>,
}

/// Which messages the diagram shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageFilter {
    /// Followers' Fetch and its response between brokers (the bulk of a replicated cluster's traffic).
    pub replication: bool,
    /// Broker and consumer heartbeats.
    pub heartbeats: bool,
    /// Metadata requests and updates.
    pub metadata: bool,
}

impl MessageFilter {
    fn keeps(&self, kind: &str, from: &str, to: &str) -> bool {
        let between_brokers = from.starts_with("broker ") && to.starts_with("broker ");
        match kind {
            "Fetch" | "FetchResponse" if between_brokers => self.replication,
            "BrokerHeartbeat" | "BrokerHeartbeatResponse" | "Heartbeat" | "HeartbeatResponse" => {
                self.heartbeats
            }
            "MetadataUpdate" | "Metadata" | "MetadataResponse" => self.metadata,
            _ => true,
        }
    }
}

/// How far back the diagram looks for messages that pass its filter (so that a filter that keeps almost nothing
/// does not scan a long trace on every frame).
const LOOK_BACK: usize = 50_000;

/// The last `limit` messages of the trace that pass `filter`, oldest first (among the last `LOOK_BACK` events).
pub fn last_messages(events: &[TraceEvent], limit: usize, filter: MessageFilter) -> Vec<MessageLine> {
    let mut out: Vec<MessageLine> = events
        .iter()
        .enumerate()
        .rev()
        .take(LOOK_BACK)
        .filter_map(|(index, e)| {
            let (from, to, kind, summary, dropped) = match &e.kind {
                TraceKind::MessageDelivered { from, to, kind, summary } => {
                    (from, to, *kind, summary.clone(), None)
                }
                TraceKind::MessageDropped { from, to, kind, reason } => {
                    (from, to, *kind, String::new(), Some(*reason))
                }
                _ => return None,
            };
            filter.keeps(kind, from, to).then(|| MessageLine {
                index,
                step: e.step,
                at_us: e.at.0,
                from: from.clone(),
                to: to.clone(),
                kind,
                summary,
                dropped,
            })
        })
        .take(limit)
        .collect();
    out.reverse();
    out
}

/// An invariant checker and what it found so far.
#[derive(Clone, Debug, Serialize)]
pub struct CheckerStatus {
    /// Its name (`no-acked-write-lost`, ...).
    pub name: &'static str,
    /// Its first violation: message, step and time in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<ViolationLine>,
}

/// A checker's first violation.
#[derive(Clone, Debug, Serialize)]
pub struct ViolationLine {
    /// What broke.
    pub message: String,
    /// The step where it was seen.
    pub step: u64,
    /// When, in microseconds.
    pub at_us: u64,
}

/// Every checker's status from a report.
pub fn checker_statuses(report: &kafkasim::check::CheckReport) -> Vec<CheckerStatus> {
    kafkasim::check::CHECKERS
        .iter()
        .map(|name| CheckerStatus {
            name,
            violation: report.violations.iter().find(|v| v.checker == *name).map(|v| ViolationLine {
                message: v.message.clone(),
                step: v.step,
                at_us: v.at.0,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkasim::engine::time::SimTime;

    fn delivered(step: u64, from: &str, to: &str, kind: &'static str) -> TraceEvent {
        TraceEvent {
            step,
            at: SimTime(step * 10),
            kind: TraceKind::MessageDelivered {
                from: from.into(),
                to: to.into(),
                kind,
                summary: String::new(),
            },
        }
    }

    #[test]
    fn the_diagram_keeps_the_last_messages_oldest_first_and_filters_replication() {
        let events = vec![
            delivered(1, "producer", "broker 1", "Produce"),
            delivered(2, "broker 2", "broker 1", "Fetch"),
            TraceEvent { step: 3, at: SimTime(30), kind: TraceKind::Note { text: "n".into() } },
            delivered(4, "broker 1", "producer", "ProduceResponse"),
            delivered(5, "c1", "broker 1", "Fetch"),
        ];
        let all = MessageFilter { replication: true, heartbeats: true, metadata: true };
        let kinds = |v: Vec<MessageLine>| v.into_iter().map(|m| (m.step, m.kind)).collect::<Vec<_>>();
        assert_eq!(kinds(last_messages(&events, 2, all)), vec![(4, "ProduceResponse"), (5, "Fetch")]);
        let no_replication = MessageFilter { replication: false, ..all };
        assert_eq!(
            kinds(last_messages(&events, 10, no_replication)),
            vec![(1, "Produce"), (4, "ProduceResponse"), (5, "Fetch")],
            "a consumer's Fetch is not replication"
        );
    }

    #[test]
    fn markers_are_the_interesting_events() {
        let events = vec![
            delivered(1, "producer", "broker 1", "Produce"),
            TraceEvent {
                step: 2,
                at: SimTime(20),
                kind: TraceKind::Fault { fault: "broker 1 crashes".into() },
            },
            TraceEvent {
                step: 3,
                at: SimTime(30),
                kind: TraceKind::RebalanceStarted { group: "g".into(), generation: 1, reason: "r".into() },
            },
        ];
        let m = markers(&events, 0);
        assert_eq!(
            m.iter().map(|m| (m.index, m.class)).collect::<Vec<_>>(),
            vec![(1, "fault"), (2, "rebalance")]
        );
        assert_eq!(markers(&events, 2).len(), 1);
    }
}
