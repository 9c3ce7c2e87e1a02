//! Timeline actions: faults, repairs, admin calls and client actions, as data the world injects at an instant.
//! Nodes never decide faults; the scenario (or the explorer, or a user clicking in the browser) does.

use super::network::LinkConfig;
use super::NodeId;
use crate::kafka::admin::AdminOp;
use crate::kafka::producer::Workload;
use crate::kafka::types::BrokerId;
use serde::Serialize;

/// Something that happens at an instant of the run.
#[derive(Clone, Debug)]
pub enum Action {
    /// The broker's process dies: in-memory state is lost, its log survives, minus the last
    /// `lose_tail_records` records of each partition (a page cache that was never flushed).
    Crash { broker: BrokerId, lose_tail_records: u64 },
    /// A crashed or stopped broker starts again with what its disk kept.
    Restart { broker: BrokerId },
    /// Controlled shutdown: the controller moves leadership away, then the broker stops.
    Shutdown { broker: BrokerId },
    /// A stop-the-world pause (a long GC): the node is alive but handles nothing until resumed.
    Pause { node: NodeId },
    /// The end of a pause: everything that arrived meanwhile is handled now, in order.
    Resume { node: NodeId },
    /// Cut the links between a broker and every other node, both ways.
    Isolate { broker: BrokerId },
    /// Cut the link from `from` to `to`; `both` cuts the way back too.
    Cut { from: NodeId, to: NodeId, both: bool },
    /// Restore every cut link.
    HealAll,
    /// Set the behaviour of links (all of them when `between` is `None`).
    Link { between: Option<(NodeId, NodeId)>, config: LinkConfig },
    /// Start a producer workload.
    Produce { producer: String, workload: Workload },
    /// An admin call.
    Admin(AdminOp),
    /// Start, stop (close), crash or restart a consumer.
    Consumer { name: String, op: ConsumerOp },
    /// A note for the reader, nothing else.
    Note,
}

impl Action {
    /// A one-line description for the trace, with nodes named by `name` (clients by their scenario name).
    pub fn describe_named(&self, name: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Action::Pause { node } => format!("{} pauses (stop-the-world)", name(*node)),
            Action::Resume { node } => format!("{} resumes", name(*node)),
            Action::Cut { from, to, both: true } => format!("link {} ↔ {} is cut", name(*from), name(*to)),
            Action::Cut { from, to, both: false } => {
                format!("link {} → {} is cut (one way)", name(*from), name(*to))
            }
            Action::Link { between: Some((a, b)), config } => {
                format!("link {} → {}: {}", name(*a), name(*b), link(config))
            }
            other => other.describe(),
        }
    }

    /// A one-line description for the trace.
    pub fn describe(&self) -> String {
        match self {
            Action::Crash { broker, lose_tail_records: 0 } => format!("broker {broker} crashes"),
            Action::Crash { broker, lose_tail_records } => {
                format!("broker {broker} crashes and loses the last {lose_tail_records} unflushed record(s) of each log")
            }
            Action::Restart { broker } => format!("broker {broker} restarts"),
            Action::Shutdown { broker } => format!("broker {broker} begins a controlled shutdown"),
            Action::Pause { node } => format!("{node} pauses (stop-the-world)"),
            Action::Resume { node } => format!("{node} resumes"),
            Action::Isolate { broker } => format!("broker {broker} is cut off from every other node"),
            Action::Cut { from, to, both: true } => format!("link {from} ↔ {to} is cut"),
            Action::Cut { from, to, both: false } => format!("link {from} → {to} is cut (one way)"),
            Action::HealAll => "network healed: every cut link is restored".to_string(),
            Action::Link { between: None, config } => format!("every link: {}", link(config)),
            Action::Link { between: Some((a, b)), config } => format!("link {a} → {b}: {}", link(config)),
            Action::Produce { producer, workload } => format!(
                "{producer} starts sending {} record(s) to {}",
                workload.remaining, workload.template.topic
            ),
            Action::Admin(op) => format!("admin {}", op.name()),
            Action::Consumer { name, op } => match op {
                ConsumerOp::Start => format!("{name} starts (subscribe/assign and poll)"),
                ConsumerOp::Stop => format!("{name} calls close()"),
                ConsumerOp::Crash => format!("{name}'s process dies (no LeaveGroup, no commit)"),
                ConsumerOp::Restart => format!("{name}'s process starts again"),
                ConsumerOp::Seek { topic, partition, offset } => {
                    format!("{name}'s application seeks {topic}-{partition} to offset {offset}")
                }
            },
            Action::Note => String::new(),
        }
    }

    /// Whether it is a fault or repair (shown as such in the timeline).
    pub fn is_fault(&self) -> bool {
        !matches!(
            self,
            Action::Produce { .. }
                | Action::Admin(_)
                | Action::Note
                | Action::Consumer { op: ConsumerOp::Start | ConsumerOp::Stop | ConsumerOp::Seek { .. }, .. }
        )
    }
}

fn link(c: &LinkConfig) -> String {
    format!(
        "latency {:.1}–{:.1} ms, loss {}, duplication {}",
        c.latency_us_min as f64 / 1000.0,
        c.latency_us_max as f64 / 1000.0,
        c.loss,
        c.duplicate
    )
}

/// What happens to a consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumerOp {
    /// `subscribe()` or `assign()`, then the poll loop.
    Start,
    /// `close()`: a final auto-commit and LeaveGroup.
    Stop,
    /// The process dies.
    Crash,
    /// A new process with the same settings starts (after a crash).
    Restart,
    /// The application moves its position in a partition (Java `seek()`, kafka-go `SetOffset`, sarama
    /// `ResetOffset`; each client allows it differently).
    Seek { topic: String, partition: u32, offset: i64 },
}

/// An action scheduled at an instant, with the reader's note.
#[derive(Clone, Debug)]
pub struct TimedAction {
    /// When.
    pub at_ms: u64,
    /// What.
    pub action: Action,
    /// Why, for the reader.
    pub note: Option<String>,
}

/// Liveness of a broker in the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    /// Running.
    Alive,
    /// Process dead.
    Crashed,
    /// Stopped after a controlled shutdown.
    Stopped,
    /// Alive but stalled.
    Paused,
}
