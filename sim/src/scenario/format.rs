//! The scenario file as written by people: TOML tables with Kafka's config names. Every field that a later
//! check may reject keeps its span, so the error can point at the file, line and column.
//! The format is documented in `scenarios/README.md`.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Name, description, seed, duration.
    pub scenario: Header,
    /// Brokers and broker configs.
    pub cluster: Cluster,
    /// Link behaviour.
    #[serde(default)]
    pub network: Option<Spanned<Network>>,
    /// Topics that exist when the run starts.
    #[serde(default)]
    pub topics: Vec<Spanned<Topic>>,
    /// Producers.
    #[serde(default)]
    pub producers: Vec<Spanned<Producer>>,
    /// Consumers.
    #[serde(default)]
    pub consumers: Vec<Spanned<Consumer>>,
    /// What happens when.
    #[serde(default)]
    pub timeline: Vec<Spanned<Step>>,
    /// What must be true.
    #[serde(default)]
    pub expect: Vec<Spanned<Expect>>,
}

/// `[scenario]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// A short title.
    pub name: String,
    /// What the scenario shows, for readers.
    #[serde(default)]
    pub description: String,
    /// The seed used when none is given on the command line.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How long to run.
    pub duration: Spanned<Time>,
}

fn default_seed() -> u64 {
    1
}

/// A time: a number of milliseconds, or a string such as `"1.5s"`, `"250ms"`, `"2m"`.
#[derive(Debug, Clone)]
pub enum Time {
    /// Milliseconds.
    Ms(i64),
    /// With a unit.
    Text(String),
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Time;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a time: milliseconds (1500) or a string with a unit (\"1.5s\", \"250ms\", \"2m\")",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Time, E> {
                Ok(Time::Ms(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Time, E> {
                Ok(Time::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[cluster]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Number of brokers (ids 1..=n), or their ids.
    pub brokers: Spanned<Brokers>,
    /// `broker.rack` per broker, in broker order.
    #[serde(default)]
    pub racks: Option<Spanned<Vec<String>>>,
    /// Broker configs by Kafka name.
    #[serde(default)]
    pub config: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// Brokers as a count or a list of ids.
#[derive(Debug, Clone)]
pub enum Brokers {
    /// `brokers = 3` → ids 1, 2, 3.
    Count(i64),
    /// `brokers = [1, 2, 3]`.
    Ids(Vec<i64>),
}

impl<'de> Deserialize<'de> for Brokers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Brokers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a broker count (brokers = 3) or a list of broker ids (brokers = [1, 2, 3])")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Brokers, E> {
                Ok(Brokers::Count(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Brokers, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<i64>()? {
                    ids.push(id);
                }
                Ok(Brokers::Ids(ids))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[network]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Smallest one-way latency in milliseconds.
    #[serde(default)]
    pub latency_ms_min: Option<Spanned<f64>>,
    /// Largest one-way latency in milliseconds.
    #[serde(default)]
    pub latency_ms_max: Option<Spanned<f64>>,
    /// Loss probability.
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    /// Duplication probability.
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
}

/// `[[topics]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Name.
    pub name: Spanned<String>,
    /// Partition count (default `num.partitions`).
    #[serde(default)]
    pub partitions: Option<Spanned<i64>>,
    /// Replication factor (default `default.replication.factor`).
    #[serde(default)]
    pub replication_factor: Option<Spanned<i64>>,
    /// Fix the placement's start index (else drawn from the seed).
    #[serde(default)]
    pub start_index: Option<Spanned<i64>>,
    /// An explicit replica assignment, one list per partition, preferred leader first.
    #[serde(default)]
    pub assignment: Option<Spanned<Vec<Vec<i64>>>>,
    /// Topic configs by Kafka name.
    #[serde(default)]
    pub config: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `[[producers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    /// Name used by the timeline and expectations.
    pub name: Spanned<String>,
    /// `java`, `sarama` or `kafka-go`: whose defaults and field names.
    #[serde(default)]
    pub client: Option<Spanned<String>>,
    /// Settings by Kafka name or client alias.
    #[serde(default)]
    pub config: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `[[consumers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// Name (its `client.id`), used by the timeline and expectations.
    pub name: Spanned<String>,
    /// `java`, `sarama` or `kafka-go`: whose defaults and field names.
    #[serde(default)]
    pub client: Option<Spanned<String>>,
    /// `group.id` (kafka-go `GroupID`); without it the consumer uses `assign()` with `partitions`.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// Topics to subscribe to (group consumers).
    #[serde(default)]
    pub topics: Option<Spanned<Vec<String>>>,
    /// Partitions to assign, as `topic-N` (consumers without a group).
    #[serde(default)]
    pub partitions: Option<Spanned<Vec<String>>>,
    /// When it starts (default: at the start of the run).
    #[serde(default)]
    pub start: Option<Spanned<Time>>,
    /// Settings by Kafka name or client alias.
    #[serde(default)]
    pub config: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `[[timeline]]`: one action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// When.
    pub at: Spanned<Time>,
    /// What: crash, restart, shutdown, pause, resume, isolate, cut, heal, link, produce, or an admin call.
    pub action: Spanned<String>,
    /// For the reader.
    #[serde(default)]
    pub note: Option<String>,
    /// Broker the action applies to.
    #[serde(default)]
    pub broker: Option<Spanned<i64>>,
    /// Node name for pause/resume/cut (`broker 2`, `controller`, a client name); alternative to `broker`.
    #[serde(default)]
    pub node: Option<Spanned<String>>,
    /// Second node of a cut or link.
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    /// Cut one direction only.
    #[serde(default)]
    pub one_way: Option<bool>,
    /// crash: records each log loses from its unflushed tail.
    #[serde(default)]
    pub lose_tail_records: Option<Spanned<i64>>,
    /// produce: which producer.
    #[serde(default)]
    pub producer: Option<Spanned<String>>,
    /// start/stop/crash/restart_consumer: which consumer.
    #[serde(default)]
    pub consumer: Option<Spanned<String>>,
    /// Group admin calls: which group.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// produce / admin: which topic.
    #[serde(default)]
    pub topic: Option<Spanned<String>>,
    /// produce: explicit partition; admin DeleteRecords: the partition.
    #[serde(default)]
    pub partition: Option<Spanned<i64>>,
    /// produce: the key of every record.
    #[serde(default)]
    pub key: Option<String>,
    /// produce: keys to cycle through.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// produce: the value label; `{i}` becomes the record's number.
    #[serde(default)]
    pub value: Option<String>,
    /// produce: value size in bytes.
    #[serde(default)]
    pub value_bytes: Option<Spanned<i64>>,
    /// produce: how many records.
    #[serde(default)]
    pub count: Option<Spanned<i64>>,
    /// produce: gap between records.
    #[serde(default)]
    pub interval_ms: Option<Spanned<i64>>,
    /// CreateTopics / CreatePartitions: partition count.
    #[serde(default)]
    pub partitions: Option<Spanned<i64>>,
    /// CreateTopics: replication factor.
    #[serde(default)]
    pub replication_factor: Option<Spanned<i64>>,
    /// CreateTopics: placement start index.
    #[serde(default)]
    pub start_index: Option<Spanned<i64>>,
    /// CreateTopics / IncrementalAlterConfigs: configs to set.
    #[serde(default)]
    pub config: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// IncrementalAlterConfigs: configs to delete (back to the default).
    #[serde(default)]
    pub delete_config: Vec<Spanned<String>>,
    /// DeleteRecords: the new log start offset (-1: the high watermark).
    #[serde(default)]
    pub before_offset: Option<i64>,
    /// seek: the consumer's new position; reset_offsets: the group's new committed offset.
    #[serde(default)]
    pub offset: Option<Spanned<i64>>,
    /// link: latency and loss.
    #[serde(default)]
    pub latency_ms_min: Option<Spanned<f64>>,
    /// link.
    #[serde(default)]
    pub latency_ms_max: Option<Spanned<f64>>,
    /// link.
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    /// link.
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
}

/// `[[expect]]`: one thing that must hold. Which fields are set decides what is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// For the reader (printed when it fails).
    #[serde(default)]
    pub note: Option<String>,
    /// State checks: the instant (default: the end of the run).
    #[serde(default)]
    pub at: Option<Spanned<Time>>,
    /// A partition, as `topic-N`.
    #[serde(default)]
    pub partition: Option<Spanned<String>>,
    /// A broker (with `partition`: its replica; alone: the broker itself).
    #[serde(default)]
    pub broker: Option<Spanned<i64>>,
    /// The partition's leader; -1 for none.
    #[serde(default)]
    pub leader: Option<i64>,
    /// The partition's ISR (order does not matter).
    #[serde(default)]
    pub isr: Option<Vec<i64>>,
    /// The partition's leader epoch.
    #[serde(default)]
    pub leader_epoch: Option<i64>,
    /// The replica's log end offset.
    #[serde(default)]
    pub log_end_offset: Option<i64>,
    /// The replica's high watermark.
    #[serde(default)]
    pub high_watermark: Option<i64>,
    /// The replica's log start offset.
    #[serde(default)]
    pub log_start_offset: Option<i64>,
    /// The replica's leader-epoch cache, as `[[epoch, start_offset], ...]`.
    #[serde(default)]
    pub epoch_cache: Option<Vec<Vec<i64>>>,
    /// The replica's records, as value labels in offset order.
    #[serde(default)]
    pub log: Option<Vec<String>>,
    /// The broker's liveness: alive, crashed, stopped, paused, fenced.
    #[serde(default)]
    pub liveness: Option<Spanned<String>>,
    /// Event checks: a trace event type (e.g. `LeaderElected`).
    #[serde(default)]
    pub event: Option<Spanned<String>>,
    /// Event checks: fields the event must have (e.g. `{ election = "unclean" }`).
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, toml::Value>,
    /// Event checks: the window, `[from, to]` (inclusive).
    #[serde(default)]
    pub between: Option<Spanned<Vec<Time>>>,
    /// Exactly this many (events, or a producer's records).
    #[serde(default)]
    pub count: Option<Spanned<i64>>,
    /// At least this many.
    #[serde(default)]
    pub min: Option<Spanned<i64>>,
    /// At most this many.
    #[serde(default)]
    pub max: Option<Spanned<i64>>,
    /// Client checks: which producer.
    #[serde(default)]
    pub producer: Option<Spanned<String>>,
    /// Client checks: `acked` or `failed` (counted with count/min/max).
    #[serde(default)]
    pub outcome: Option<Spanned<String>>,
    /// Client checks: the error of the failed (or retried) records.
    #[serde(default)]
    pub error: Option<Spanned<String>>,
    /// Durability: whether some acknowledged record is missing from the partition's log.
    #[serde(default)]
    pub acked_write_lost: Option<bool>,
    /// Checkers: a checker's name.
    #[serde(default)]
    pub checker: Option<Spanned<String>>,
    /// Checkers: whether it must report a violation.
    #[serde(default)]
    pub violated: Option<bool>,
    /// Admin checks: an admin call's name.
    #[serde(default)]
    pub admin: Option<Spanned<String>>,
    /// Consumer checks: which consumer (its state at `at`, or with `outcome` what it did).
    #[serde(default)]
    pub consumer: Option<Spanned<String>>,
    /// Consumer checks: the partitions it owns (order does not matter).
    #[serde(default)]
    pub owns: Option<Vec<String>>,
    /// Consumer checks: its positions (next offset to fetch), partition → offset.
    #[serde(default)]
    pub position: Option<BTreeMap<String, i64>>,
    /// Consumer checks: `running`, `stopped`, `paused`, `crashed` or `not started`.
    #[serde(default)]
    pub status: Option<Spanned<String>>,
    /// Group checks: which group (its state at `at`, or with `outcome` its delivery accounting).
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// Group checks: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead (or `none`: no such group).
    #[serde(default)]
    pub state: Option<Spanned<String>>,
    /// Group (or consumer) checks: the generation.
    #[serde(default)]
    pub generation: Option<i64>,
    /// Group checks: the selected assignor (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
    #[serde(default)]
    pub protocol: Option<String>,
    /// Group checks: the members' client names (order does not matter).
    #[serde(default)]
    pub members: Option<Vec<String>>,
    /// Group checks: the assignment, member (client name) → partitions; `[]` for an idle member.
    #[serde(default)]
    pub assignment: Option<BTreeMap<String, Vec<String>>>,
    /// Group checks: committed offsets, partition → offset (-1: none).
    pub committed: Option<BTreeMap<String, i64>>,
    /// Group checks: lag per partition (high watermark − committed offset).
    #[serde(default)]
    pub lag: Option<BTreeMap<String, i64>>,
}
