//! Broker and topic configuration, with Kafka's names, types, ranges and defaults
//! (`server/src/main/java/.../ReplicationConfigs.java`, `ServerLogConfigs.java`, `KRaftConfigs.java`,
//! `storage/.../LogConfig.java`). A scenario sets them by Kafka's own names.

use crate::engine::vec_map::VecMap;
use serde::Serialize;

/// The type of a config value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number within `[min, max]`.
    Int { min: i64, max: i64 },
    /// `true` / `false`.
    Bool,
}

/// One config Kafka knows, with its default.
#[derive(Clone, Copy, Debug)]
pub struct ConfigDef {
    /// Kafka's name, e.g. `min.insync.replicas`.
    pub name: &'static str,
    /// Its type and range.
    pub kind: Kind,
    /// Kafka's default.
    pub default: i64,
    /// One line for error messages and the docs.
    pub doc: &'static str,
}

const fn int(name: &'static str, default: i64, min: i64, max: i64, doc: &'static str) -> ConfigDef {
    ConfigDef { name, kind: Kind::Int { min, max }, default, doc }
}

const fn boolean(name: &'static str, default: bool, doc: &'static str) -> ConfigDef {
    ConfigDef { name, kind: Kind::Bool, default: default as i64, doc }
}

const MAX: i64 = i32::MAX as i64;

/// Broker configs the simulation models. Topic-level overrides are in [`TOPIC_CONFIGS`].
pub const BROKER_CONFIGS: &[ConfigDef] = &[
    int(
        "broker.session.timeout.ms",
        9000,
        1,
        MAX,
        "controller fences a broker whose heartbeats stop this long",
    ),
    int("broker.heartbeat.interval.ms", 2000, 1, MAX, "how often a broker heartbeats to the controller"),
    int("replica.lag.time.max.ms", 30000, 1, MAX, "a follower not caught up for this long leaves the ISR"),
    int(
        "replica.fetch.wait.max.ms",
        500,
        0,
        MAX,
        "how long a leader holds a follower's fetch with no new data",
    ),
    int(
        "replica.fetch.max.bytes",
        1048576,
        0,
        MAX,
        "bytes per partition per follower fetch (first batch always)",
    ),
    int(
        "replica.fetch.response.max.bytes",
        10485760,
        0,
        MAX,
        "bytes per follower fetch response (first batch always)",
    ),
    int("fetch.max.bytes", 57671680, 0, MAX, "cap on a consumer fetch response's bytes"),
    int(
        "replica.socket.timeout.ms",
        30000,
        1,
        MAX,
        "a follower gives up on a fetch with no answer after this",
    ),
    int("replica.fetch.backoff.ms", 1000, 0, MAX, "follower's pause after a fetch error"),
    boolean("auto.leader.rebalance.enable", true, "periodically move leadership back to preferred replicas"),
    int(
        "leader.imbalance.check.interval.seconds",
        300,
        1,
        MAX,
        "how often the controller checks leader balance",
    ),
    int("leader.imbalance.per.broker.percentage", 10, 0, 100, "imbalance that triggers preferred election"),
    int("default.replication.factor", 1, 1, 32767, "replication factor of topics created without one"),
    int("num.partitions", 1, 1, MAX, "partition count of topics created without one"),
    int("min.insync.replicas", 1, 1, MAX, "default for the topic config of the same name"),
    boolean("unclean.leader.election.enable", false, "default for the topic config of the same name"),
    int("message.max.bytes", 1048588, 0, MAX, "largest record batch (after compression) a topic accepts"),
    int("controlled.shutdown.enable", 1, 0, 1, "move leadership away before a broker stops (1) or not (0)"),
    int("offsets.topic.num.partitions", 50, 1, MAX, "partitions of __consumer_offsets (fixed once created)"),
    int("offsets.topic.replication.factor", 3, 1, 32767, "replication factor of __consumer_offsets"),
    int("offsets.commit.timeout.ms", 5000, 1, MAX, "a group write not replicated within this fails"),
    int("offsets.retention.minutes", 10080, 1, MAX, "an empty group's committed offsets expire after this"),
    int("offsets.retention.check.interval.ms", 600000, 1, MAX, "how often expired offsets are removed"),
    int("group.initial.rebalance.delay.ms", 3000, 0, MAX, "an empty group waits this long for more members"),
    int("group.min.session.timeout.ms", 6000, 0, MAX, "smallest session.timeout.ms a member may ask for"),
    int("group.max.session.timeout.ms", 1800000, 0, MAX, "largest session.timeout.ms a member may ask for"),
    int("group.max.size", MAX, 1, MAX, "members a classic group admits"),
    boolean(
        "kafkasim.pre.kip101.truncation",
        false,
        "not a Kafka setting: replicate as Kafka did before 0.11 (KIP-101), for teaching; a new follower \
         truncates to its high watermark and fetches without leader epochs",
    ),
];

/// Topic configs (dynamic: IncrementalAlterConfigs changes them at once). `broker` names the broker default.
pub const TOPIC_CONFIGS: &[(ConfigDef, &str)] = &[
    (
        int("min.insync.replicas", 1, 1, MAX, "acks=all writes need at least this many in-sync replicas"),
        "min.insync.replicas",
    ),
    (
        boolean("unclean.leader.election.enable", false, "elect an out-of-sync replica rather than none"),
        "unclean.leader.election.enable",
    ),
    (
        int("max.message.bytes", 1048588, 0, MAX, "largest record batch (after compression)"),
        "message.max.bytes",
    ),
];

/// Finds a broker config by name.
pub fn broker_def(name: &str) -> Option<&'static ConfigDef> {
    BROKER_CONFIGS.iter().find(|d| d.name == name)
}

/// Finds a topic config by name.
pub fn topic_def(name: &str) -> Option<&'static ConfigDef> {
    TOPIC_CONFIGS.iter().map(|(d, _)| d).find(|d| d.name == name)
}

/// Checks a value against a definition and returns it as stored (bools as 0/1), or what would be right.
pub fn validate(def: &ConfigDef, value: &ConfigValue) -> Result<i64, String> {
    match (def.kind, value) {
        (Kind::Int { min, max }, ConfigValue::Int(v)) => {
            if (min..=max).contains(v) {
                Ok(*v)
            } else {
                Err(format!("`{}` must be between {min} and {max}, got {v}", def.name))
            }
        }
        (Kind::Bool, ConfigValue::Bool(b)) => Ok(*b as i64),
        (Kind::Int { .. }, other) => {
            Err(format!("`{}` takes a whole number, got {}", def.name, other.describe()))
        }
        (Kind::Bool, other) => Err(format!("`{}` takes true or false, got {}", def.name, other.describe())),
    }
}

/// A config value as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ConfigValue {
    /// A number.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Str(String),
}

impl ConfigValue {
    fn describe(&self) -> String {
        match self {
            ConfigValue::Int(v) => format!("the number {v}"),
            ConfigValue::Bool(b) => format!("the boolean {b}"),
            ConfigValue::Str(s) => format!("the string {s:?}"),
        }
    }
}

/// The broker-wide configs of the cluster: Kafka's defaults, overridden by the scenario's `[cluster.config]`.
#[derive(Clone, Debug, Serialize)]
pub struct BrokerConfig {
    values: VecMap<&'static str, i64>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self { values: VecMap::from_iter(BROKER_CONFIGS.iter().map(|d| (d.name, d.default))) }
    }
}

impl BrokerConfig {
    /// Sets a validated value.
    pub fn set(&mut self, def: &'static ConfigDef, value: i64) {
        self.values.insert(def.name, value);
    }

    /// A config's value.
    pub fn get(&self, name: &str) -> i64 {
        *self.values.get(name).unwrap_or_else(|| panic!("unknown broker config {name}"))
    }

    /// A millisecond config as u64.
    pub fn ms(&self, name: &str) -> u64 {
        self.get(name).max(0) as u64
    }

    /// A boolean config.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name) != 0
    }
}

/// The effective configs of one topic: overrides on top of the broker defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TopicConfig {
    /// Only the configs set on the topic (what DescribeConfigs reports as `TOPIC_CONFIG`).
    pub overrides: VecMap<String, i64>,
}

impl TopicConfig {
    /// The effective value: the topic's override, else the broker default.
    pub fn get(&self, name: &str, broker: &BrokerConfig) -> i64 {
        if let Some(v) = self.overrides.get(name) {
            return *v;
        }
        let fallback = TOPIC_CONFIGS
            .iter()
            .find(|(d, _)| d.name == name)
            .map(|(_, b)| *b)
            .unwrap_or_else(|| panic!("unknown topic config {name}"));
        broker.get(fallback)
    }

    /// `min.insync.replicas`.
    pub fn min_insync_replicas(&self, broker: &BrokerConfig) -> usize {
        self.get("min.insync.replicas", broker).max(1) as usize
    }

    /// `unclean.leader.election.enable`.
    pub fn unclean_leader_election(&self, broker: &BrokerConfig) -> bool {
        self.get("unclean.leader.election.enable", broker) != 0
    }

    /// `max.message.bytes`.
    pub fn max_message_bytes(&self, broker: &BrokerConfig) -> u32 {
        self.get("max.message.bytes", broker).clamp(0, u32::MAX as i64) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_falls_back_to_broker_defaults() {
        let mut broker = BrokerConfig::default();
        let topic = TopicConfig::default();
        assert_eq!(topic.min_insync_replicas(&broker), 1);
        broker.set(broker_def("min.insync.replicas").unwrap(), 2);
        assert_eq!(topic.min_insync_replicas(&broker), 2);
        assert_eq!(topic.max_message_bytes(&broker), 1_048_588);
    }

    #[test]
    fn validation_names_the_range() {
        let def = broker_def("min.insync.replicas").unwrap();
        let err = validate(def, &ConfigValue::Int(0)).unwrap_err();
        assert!(err.contains("between 1 and"), "{err}");
        assert!(validate(def, &ConfigValue::Bool(true)).is_err());
    }
}
