//! The scenario file as written by people: TOML tables with Kafka's config names. Every field that a later
//! check may reject keeps its span, so the error can point at the file, line and column.
//! The format is documented in `scenarios/README.md`.

use super::toml::{Span, Value};
use crate::engine::vec_map::VecMap;

/// A value with the byte range it was written at, for errors found after parsing.
#[derive(Debug, Clone, Default)]
pub struct Spanned<T> {
    value: T,
    span: Span,
}

impl<T> Spanned<T> {
    /// `value`, written at `span`.
    pub fn new(span: Span, value: T) -> Self {
        Spanned { value, span }
    }

    /// The value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// Where it was written.
    pub fn span(&self) -> Span {
        self.span.clone()
    }
}

/// A `config` table: Kafka config names (with their spans) and values, sorted by name.
pub type Config = Vec<(Spanned<String>, Value)>;

/// The whole file.
#[derive(Debug, Default)]
pub struct File {
    /// Name, description, seed, duration.
    pub scenario: Header,
    /// Brokers and broker configs.
    pub cluster: Cluster,
    /// Link behaviour.
    pub network: Option<Spanned<Network>>,
    /// Topics that exist when the run starts.
    pub topics: Vec<Spanned<Topic>>,
    /// Producers.
    pub producers: Vec<Spanned<Producer>>,
    /// Consumers.
    pub consumers: Vec<Spanned<Consumer>>,
    /// What happens when.
    pub timeline: Vec<Spanned<Step>>,
    /// What must be true.
    pub expect: Vec<Spanned<Expect>>,
}

/// `[scenario]`.
#[derive(Debug, Default)]
pub struct Header {
    /// A short title.
    pub name: String,
    /// What the scenario shows, for readers.
    pub description: String,
    /// The seed used when none is given on the command line.
    pub seed: u64,
    /// How long to run.
    pub duration: Spanned<Time>,
}

/// A time: a number of milliseconds, or a string such as `"1.5s"`, `"250ms"`, `"2m"`.
/// (The defaults of this and [`Brokers`] only stand in for a required key until the reader has read it.)
#[derive(Debug, Clone)]
pub enum Time {
    /// Milliseconds.
    Ms(i64),
    /// With a unit.
    Text(String),
}

impl Default for Time {
    fn default() -> Self {
        Time::Ms(0)
    }
}

/// `[cluster]`.
#[derive(Debug, Default)]
pub struct Cluster {
    /// Number of brokers (ids 1..=n), or their ids.
    pub brokers: Spanned<Brokers>,
    /// `broker.rack` per broker, in broker order.
    pub racks: Option<Spanned<Vec<String>>>,
    /// Broker configs by Kafka name.
    pub config: Config,
}

/// Brokers as a count or a list of ids.
#[derive(Debug, Clone)]
pub enum Brokers {
    /// `brokers = 3` → ids 1, 2, 3.
    Count(i64),
    /// `brokers = [1, 2, 3]`.
    Ids(Vec<i64>),
}

impl Default for Brokers {
    fn default() -> Self {
        Brokers::Count(0)
    }
}

/// `[network]`.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Smallest one-way latency in milliseconds.
    pub latency_ms_min: Option<Spanned<f64>>,
    /// Largest one-way latency in milliseconds.
    pub latency_ms_max: Option<Spanned<f64>>,
    /// Loss probability.
    pub loss: Option<Spanned<f64>>,
    /// Duplication probability.
    pub duplicate: Option<Spanned<f64>>,
}

/// `[[topics]]`.
#[derive(Debug, Default)]
pub struct Topic {
    /// Name.
    pub name: Spanned<String>,
    /// Partition count (default `num.partitions`).
    pub partitions: Option<Spanned<i64>>,
    /// Replication factor (default `default.replication.factor`).
    pub replication_factor: Option<Spanned<i64>>,
    /// Fix the placement's start index (else drawn from the seed).
    pub start_index: Option<Spanned<i64>>,
    /// An explicit replica assignment, one list per partition, preferred leader first.
    pub assignment: Option<Spanned<Vec<Vec<i64>>>>,
    /// Topic configs by Kafka name.
    pub config: Config,
}

/// `[[producers]]`.
#[derive(Debug, Default)]
pub struct Producer {
    /// Name used by the timeline and expectations.
    pub name: Spanned<String>,
    /// `java`, `sarama` or `kafka-go`: whose defaults and field names.
    pub client: Option<Spanned<String>>,
    /// Settings by Kafka name or client alias.
    pub config: Config,
}

/// `[[consumers]]`.
#[derive(Debug, Default)]
pub struct Consumer {
    /// Name (its `client.id`), used by the timeline and expectations.
    pub name: Spanned<String>,
    /// `java`, `sarama` or `kafka-go`: whose defaults and field names.
    pub client: Option<Spanned<String>>,
    /// `group.id` (kafka-go `GroupID`); without it the consumer uses `assign()` with `partitions`.
    pub group: Option<Spanned<String>>,
    /// Topics to subscribe to (group consumers).
    pub topics: Option<Spanned<Vec<String>>>,
    /// Partitions to assign, as `topic-N` (consumers without a group).
    pub partitions: Option<Spanned<Vec<String>>>,
    /// When it starts (default: at the start of the run).
    pub start: Option<Spanned<Time>>,
    /// Settings by Kafka name or client alias.
    pub config: Config,
}

/// `[[timeline]]`: one action.
#[derive(Debug, Default)]
pub struct Step {
    /// When.
    pub at: Spanned<Time>,
    /// What: crash, restart, shutdown, pause, resume, isolate, cut, heal, link, produce, or an admin call.
    pub action: Spanned<String>,
    /// For the reader.
    pub note: Option<String>,
    /// Broker the action applies to.
    pub broker: Option<Spanned<i64>>,
    /// Node name for pause/resume/cut (`broker 2`, `controller`, a client name); alternative to `broker`.
    pub node: Option<Spanned<String>>,
    /// Second node of a cut or link.
    pub to: Option<Spanned<String>>,
    /// Cut one direction only.
    pub one_way: Option<bool>,
    /// crash: records each log loses from its unflushed tail.
    pub lose_tail_records: Option<Spanned<i64>>,
    /// produce: which producer.
    pub producer: Option<Spanned<String>>,
    /// start/stop/crash/restart_consumer: which consumer.
    pub consumer: Option<Spanned<String>>,
    /// Group admin calls: which group.
    pub group: Option<Spanned<String>>,
    /// produce / admin: which topic.
    pub topic: Option<Spanned<String>>,
    /// produce: explicit partition; admin DeleteRecords: the partition.
    pub partition: Option<Spanned<i64>>,
    /// produce: the key of every record.
    pub key: Option<String>,
    /// produce: keys to cycle through.
    pub keys: Option<Vec<String>>,
    /// produce: the value label; `{i}` becomes the record's number.
    pub value: Option<String>,
    /// produce: value size in bytes.
    pub value_bytes: Option<Spanned<i64>>,
    /// produce: how many records.
    pub count: Option<Spanned<i64>>,
    /// produce: gap between records.
    pub interval_ms: Option<Spanned<i64>>,
    /// CreateTopics / CreatePartitions: partition count.
    pub partitions: Option<Spanned<i64>>,
    /// CreateTopics: replication factor.
    pub replication_factor: Option<Spanned<i64>>,
    /// CreateTopics: placement start index.
    pub start_index: Option<Spanned<i64>>,
    /// CreateTopics / IncrementalAlterConfigs: configs to set.
    pub config: Config,
    /// IncrementalAlterConfigs: configs to delete (back to the default).
    pub delete_config: Vec<Spanned<String>>,
    /// DeleteRecords: the new log start offset (-1: the high watermark).
    pub before_offset: Option<i64>,
    /// seek: the consumer's new position; reset_offsets: the group's new committed offset.
    pub offset: Option<Spanned<i64>>,
    /// link: latency and loss.
    pub latency_ms_min: Option<Spanned<f64>>,
    /// link.
    pub latency_ms_max: Option<Spanned<f64>>,
    /// link.
    pub loss: Option<Spanned<f64>>,
    /// link.
    pub duplicate: Option<Spanned<f64>>,
}

/// `[[expect]]`: one thing that must hold. Which fields are set decides what is checked.
#[derive(Debug, Default)]
pub struct Expect {
    /// For the reader (printed when it fails).
    pub note: Option<String>,
    /// State checks: the instant (default: the end of the run).
    pub at: Option<Spanned<Time>>,
    /// A partition, as `topic-N`.
    pub partition: Option<Spanned<String>>,
    /// A broker (with `partition`: its replica; alone: the broker itself).
    pub broker: Option<Spanned<i64>>,
    /// The partition's leader; -1 for none.
    pub leader: Option<i64>,
    /// The partition's ISR (order does not matter).
    pub isr: Option<Vec<i64>>,
    /// The partition's leader epoch.
    pub leader_epoch: Option<i64>,
    /// The replica's log end offset.
    pub log_end_offset: Option<i64>,
    /// The replica's high watermark.
    pub high_watermark: Option<i64>,
    /// The replica's log start offset.
    pub log_start_offset: Option<i64>,
    /// The replica's leader-epoch cache, as `[[epoch, start_offset], ...]`.
    pub epoch_cache: Option<Vec<Vec<i64>>>,
    /// The replica's records, as value labels in offset order.
    pub log: Option<Vec<String>>,
    /// The broker's liveness: alive, crashed, stopped, paused, fenced.
    pub liveness: Option<Spanned<String>>,
    /// Event checks: a trace event type (e.g. `LeaderElected`).
    pub event: Option<Spanned<String>>,
    /// Event checks: fields the event must have (e.g. `{ election = "unclean" }`).
    pub where_: Vec<(String, Value)>,
    /// Event checks: the window, `[from, to]` (inclusive).
    pub between: Option<Spanned<Vec<Time>>>,
    /// Exactly this many (events, or a producer's records).
    pub count: Option<Spanned<i64>>,
    /// At least this many.
    pub min: Option<Spanned<i64>>,
    /// At most this many.
    pub max: Option<Spanned<i64>>,
    /// Client checks: which producer.
    pub producer: Option<Spanned<String>>,
    /// Client checks: `acked` or `failed` (counted with count/min/max).
    pub outcome: Option<Spanned<String>>,
    /// Client checks: the error of the failed (or retried) records.
    pub error: Option<Spanned<String>>,
    /// Durability: whether some acknowledged record is missing from the partition's log.
    pub acked_write_lost: Option<bool>,
    /// Checkers: a checker's name.
    pub checker: Option<Spanned<String>>,
    /// Checkers: whether it must report a violation.
    pub violated: Option<bool>,
    /// Admin checks: an admin call's name.
    pub admin: Option<Spanned<String>>,
    /// Consumer checks: which consumer (its state at `at`, or with `outcome` what it did).
    pub consumer: Option<Spanned<String>>,
    /// Consumer checks: the partitions it owns (order does not matter).
    pub owns: Option<Vec<String>>,
    /// Consumer checks: its positions (next offset to fetch), partition → offset.
    pub position: Option<VecMap<String, i64>>,
    /// Consumer checks: `running`, `stopped`, `paused`, `crashed` or `not started`.
    pub status: Option<Spanned<String>>,
    /// Group checks: which group (its state at `at`, or with `outcome` its delivery accounting).
    pub group: Option<Spanned<String>>,
    /// Group checks: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead (or `none`: no such group).
    pub state: Option<Spanned<String>>,
    /// Group (or consumer) checks: the generation.
    pub generation: Option<i64>,
    /// Group checks: the selected assignor (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
    pub protocol: Option<String>,
    /// Group checks: the members' client names (order does not matter).
    pub members: Option<Vec<String>>,
    /// Group checks: the assignment, member (client name) → partitions; `[]` for an idle member.
    pub assignment: Option<VecMap<String, Vec<String>>>,
    /// Group checks: committed offsets, partition → offset (-1: none).
    pub committed: Option<VecMap<String, i64>>,
    /// Group checks: lag per partition (high watermark − committed offset).
    pub lag: Option<VecMap<String, i64>>,
}
