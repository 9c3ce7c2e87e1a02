//! Consumer configuration: Kafka's names, the three client profiles' defaults, and sarama's and kafka-go's field
//! names as aliases. Defaults are from `shared/reference/client-defaults.md` §2 and §7 (apache/kafka for `java`,
//! IBM/sarama v1.60.1, segmentio/kafka-go v0.4.50 `ReaderConfig`).

use crate::kafka::producer_config::{ClientProfile, Value};
use serde::Serialize;

/// `auto.offset.reset`: where a partition without a committed offset (or with one out of range) starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    /// The log start offset (sarama `OffsetOldest`, kafka-go `FirstOffset`).
    Earliest,
    /// The high watermark (sarama `OffsetNewest`, kafka-go `LastOffset`).
    Latest,
    /// Fail: the application gets an error.
    None,
}

impl OffsetReset {
    /// Kafka's name.
    pub fn name(self) -> &'static str {
        match self {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
            OffsetReset::None => "none",
        }
    }
}

/// When the application commits, and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitMode {
    /// `enable.auto.commit=true`: every `auto.commit.interval.ms` the client commits what the application has
    /// processed (Java: the position after the records `poll()` returned, committed at the next `poll()`;
    /// sarama: the offsets marked with `MarkMessage` after processing), and before a rebalance.
    Auto,
    /// `commitSync()` after each processed batch (kafka-go `FetchMessage` + `CommitMessages`).
    Sync,
    /// `commitAsync()` after each processed batch.
    Async,
    /// Commit synchronously when records are received, before processing them: at-most-once (kafka-go's
    /// `ReadMessage` in a group does this for every message).
    BeforeProcess,
    /// Never commit.
    Never,
    /// kafka-go `ReadMessage` with `CommitInterval` > 0: each message is marked when it is read (before it is
    /// processed) and the marks are committed every `CommitInterval` in the background.
    AutoOnRead,
}

impl CommitMode {
    /// The accepted spellings.
    pub const NAMES: &'static [&'static str] =
        &["auto", "sync", "async", "before-process", "never", "ReadMessage", "FetchMessage"];

    /// Parses a mode, or kafka-go's read call (`ReadMessage` commits before returning; `FetchMessage` leaves it
    /// to `CommitMessages` after processing).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(CommitMode::Auto),
            "sync" | "FetchMessage" => Some(CommitMode::Sync),
            "async" => Some(CommitMode::Async),
            "before-process" | "ReadMessage" => Some(CommitMode::BeforeProcess),
            "never" | "none" => Some(CommitMode::Never),
            _ => None,
        }
    }
}

/// A consumer's effective settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsumerConfig {
    /// The client it imitates.
    pub client: ClientProfile,
    /// `group.instance.id` (static membership).
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval_ms: u64,
    /// `max.poll.interval.ms` (Java only: sarama and kafka-go have no poll deadline); also the Java rebalance
    /// timeout.
    pub max_poll_interval_ms: Option<u64>,
    /// The rebalance timeout sent in JoinGroup (sarama `Consumer.Group.Rebalance.Timeout`, kafka-go
    /// `RebalanceTimeout`; Java uses `max.poll.interval.ms`).
    pub rebalance_timeout_ms: u64,
    /// `max.poll.records` (records the application takes at once; 1 for sarama and kafka-go, which hand out one
    /// message at a time).
    pub max_poll_records: usize,
    /// How the application commits.
    pub commit: CommitMode,
    /// `auto.commit.interval.ms` (kafka-go `CommitInterval` > 0 commits periodically).
    pub auto_commit_interval_ms: u64,
    /// `auto.offset.reset`.
    pub auto_offset_reset: OffsetReset,
    /// `fetch.min.bytes`.
    pub fetch_min_bytes: u32,
    /// `fetch.max.wait.ms`.
    pub fetch_max_wait_ms: u64,
    /// `fetch.max.bytes` (per response).
    pub fetch_max_bytes: u32,
    /// `max.partition.fetch.bytes`.
    pub max_partition_fetch_bytes: u32,
    /// `partition.assignment.strategy`: assignor names in preference order.
    pub assignors: Vec<String>,
    /// `retry.backoff.ms`: backoff after a failed request (coordinator lookup, commit, join).
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms`.
    pub retry_backoff_max_ms: u64,
    /// Backoff before rejoining after a failed join (sarama `Rebalance.Retry.Backoff`, kafka-go
    /// `JoinGroupBackoff`; Java retries at once or after `retry.backoff.ms`).
    pub join_backoff_ms: u64,
    /// Backoff after a fetch error (sarama `Consumer.Retry.Backoff`, kafka-go `ReadBackoffMin`; Java uses
    /// `retry.backoff.ms` growing exponentially to `retry.backoff.max.ms`).
    pub fetch_backoff_ms: u64,
    /// The largest fetch-error backoff (kafka-go `ReadBackoffMax`: the backoff grows with the square of the
    /// attempt, `attempt² × ReadBackoffMin`, up to this).
    pub fetch_backoff_max_ms: u64,
    /// Records a partition may have fetched ahead of the application before it is fetched no more: Java fetches
    /// a partition again only once its previous records were handed out (0 here); sarama buffers
    /// `ChannelBufferSize` (256) messages per partition, kafka-go `QueueCapacity` (100).
    pub buffer_records: u64,
    /// sarama `Consumer.MaxProcessingTime`: how long a broker's fetches wait for a partition whose messages the
    /// handler has not taken yet before carrying on without it. Not a liveness timeout (sarama has none).
    pub max_processing_time_ms: Option<u64>,
    /// `request.timeout.ms`.
    pub request_timeout_ms: u64,
    /// `metadata.max.age.ms`: how often the client refreshes metadata (and the leader notices new partitions).
    pub metadata_max_age_ms: u64,
    /// Whether every member (not only the leader) watches partition counts (kafka-go `WatchPartitionChanges`).
    pub watch_partition_changes: bool,
    /// `isolation.level` (read_committed sees the same records until transactions are simulated).
    pub read_committed: bool,
    /// Processing time per record, in microseconds (the application's work between polls).
    pub processing_us_per_record: u64,
}

impl ConsumerConfig {
    /// The defaults of a client.
    pub fn defaults(client: ClientProfile) -> Self {
        match client {
            ClientProfile::Java => Self {
                client,
                group_instance_id: None,
                session_timeout_ms: 45_000,
                heartbeat_interval_ms: 3_000,
                max_poll_interval_ms: Some(300_000),
                rebalance_timeout_ms: 300_000,
                max_poll_records: 500,
                commit: CommitMode::Auto,
                auto_commit_interval_ms: 5_000,
                auto_offset_reset: OffsetReset::Latest,
                fetch_min_bytes: 1,
                fetch_max_wait_ms: 500,
                fetch_max_bytes: 52_428_800,
                max_partition_fetch_bytes: 1_048_576,
                assignors: vec!["range".into(), "cooperative-sticky".into()],
                retry_backoff_ms: 100,
                retry_backoff_max_ms: 1_000,
                join_backoff_ms: 100,
                fetch_backoff_ms: 100,
                fetch_backoff_max_ms: 1_000,
                buffer_records: 0,
                max_processing_time_ms: None,
                request_timeout_ms: 30_000,
                metadata_max_age_ms: 300_000,
                watch_partition_changes: false,
                read_committed: false,
                processing_us_per_record: 1_000,
            },
            ClientProfile::Sarama => Self {
                client,
                group_instance_id: None,
                session_timeout_ms: 10_000,
                heartbeat_interval_ms: 3_000,
                max_poll_interval_ms: None,
                rebalance_timeout_ms: 60_000,
                max_poll_records: 1,
                commit: CommitMode::Auto,
                auto_commit_interval_ms: 1_000,
                auto_offset_reset: OffsetReset::Latest,
                fetch_min_bytes: 1,
                fetch_max_wait_ms: 500,
                fetch_max_bytes: 52_428_800,
                max_partition_fetch_bytes: 1_048_576,
                assignors: vec!["range".into()],
                retry_backoff_ms: 2_000,
                retry_backoff_max_ms: 2_000,
                join_backoff_ms: 2_000,
                fetch_backoff_ms: 2_000,
                fetch_backoff_max_ms: 2_000,
                buffer_records: 256,
                max_processing_time_ms: Some(100),
                request_timeout_ms: 30_000,
                metadata_max_age_ms: 600_000,
                watch_partition_changes: false,
                read_committed: false,
                processing_us_per_record: 1_000,
            },
            ClientProfile::KafkaGo => Self {
                client,
                group_instance_id: None,
                session_timeout_ms: 30_000,
                heartbeat_interval_ms: 3_000,
                max_poll_interval_ms: None,
                rebalance_timeout_ms: 30_000,
                max_poll_records: 1,
                commit: CommitMode::BeforeProcess,
                auto_commit_interval_ms: 0,
                auto_offset_reset: OffsetReset::Earliest,
                fetch_min_bytes: 1,
                fetch_max_wait_ms: 10_000,
                fetch_max_bytes: 1_000_000,
                max_partition_fetch_bytes: 1_000_000,
                assignors: vec!["range".into(), "roundrobin".into()],
                retry_backoff_ms: 100,
                retry_backoff_max_ms: 1_000,
                join_backoff_ms: 5_000,
                fetch_backoff_ms: 100,
                fetch_backoff_max_ms: 1_000,
                buffer_records: 100,
                max_processing_time_ms: None,
                request_timeout_ms: 5_000,
                metadata_max_age_ms: 5_000,
                watch_partition_changes: false,
                read_committed: false,
                processing_us_per_record: 1_000,
            },
        }
    }
}

/// A setting a consumer accepts: Kafka's name, and the aliases of sarama and kafka-go.
#[derive(Clone, Copy, Debug)]
pub struct ConsumerKey {
    /// The canonical name (Kafka's where Kafka has one).
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
}

/// Every consumer setting.
pub const CONSUMER_KEYS: &[ConsumerKey] = &[
    ConsumerKey { name: "group.instance.id", aliases: &["Consumer.Group.InstanceId"] },
    ConsumerKey {
        name: "session.timeout.ms",
        aliases: &["Consumer.Group.Session.Timeout", "SessionTimeout"],
    },
    ConsumerKey {
        name: "heartbeat.interval.ms",
        aliases: &["Consumer.Group.Heartbeat.Interval", "HeartbeatInterval"],
    },
    ConsumerKey { name: "max.poll.interval.ms", aliases: &[] },
    ConsumerKey {
        name: "rebalance.timeout.ms",
        aliases: &["Consumer.Group.Rebalance.Timeout", "RebalanceTimeout"],
    },
    ConsumerKey { name: "max.poll.records", aliases: &[] },
    ConsumerKey { name: "enable.auto.commit", aliases: &["Consumer.Offsets.AutoCommit.Enable"] },
    ConsumerKey { name: "commit", aliases: &[] },
    ConsumerKey {
        name: "auto.commit.interval.ms",
        aliases: &["Consumer.Offsets.AutoCommit.Interval", "CommitInterval"],
    },
    ConsumerKey { name: "auto.offset.reset", aliases: &["Consumer.Offsets.Initial", "StartOffset"] },
    ConsumerKey { name: "fetch.min.bytes", aliases: &["Consumer.Fetch.Min", "MinBytes"] },
    ConsumerKey { name: "fetch.max.wait.ms", aliases: &["Consumer.MaxWaitTime", "MaxWait"] },
    ConsumerKey { name: "fetch.max.bytes", aliases: &["Consumer.Fetch.MaxBytes"] },
    ConsumerKey { name: "max.partition.fetch.bytes", aliases: &["Consumer.Fetch.Default", "MaxBytes"] },
    ConsumerKey {
        name: "partition.assignment.strategy",
        aliases: &["Consumer.Group.Rebalance.GroupStrategies", "GroupBalancers"],
    },
    ConsumerKey { name: "retry.backoff.ms", aliases: &[] },
    ConsumerKey { name: "retry.backoff.max.ms", aliases: &[] },
    ConsumerKey {
        name: "join.backoff.ms",
        aliases: &["Consumer.Group.Rebalance.Retry.Backoff", "JoinGroupBackoff"],
    },
    ConsumerKey { name: "fetch.backoff.ms", aliases: &["Consumer.Retry.Backoff", "ReadBackoffMin"] },
    ConsumerKey { name: "fetch.backoff.max.ms", aliases: &["ReadBackoffMax"] },
    ConsumerKey { name: "max.processing.time.ms", aliases: &["Consumer.MaxProcessingTime"] },
    ConsumerKey { name: "buffer.records", aliases: &["ChannelBufferSize", "QueueCapacity"] },
    ConsumerKey { name: "request.timeout.ms", aliases: &[] },
    ConsumerKey {
        name: "metadata.max.age.ms",
        aliases: &["Metadata.RefreshFrequency", "PartitionWatchInterval"],
    },
    ConsumerKey { name: "watch.partition.changes", aliases: &["WatchPartitionChanges"] },
    ConsumerKey { name: "isolation.level", aliases: &["Consumer.IsolationLevel", "IsolationLevel"] },
    ConsumerKey { name: "processing.ms.per.record", aliases: &[] },
];

/// Finds a key by name or alias; returns the canonical name.
pub fn lookup(name: &str) -> Option<&'static str> {
    CONSUMER_KEYS.iter().find(|k| k.name == name || k.aliases.contains(&name)).map(|k| k.name)
}

/// Every accepted name, for "did you mean".
pub fn all_names() -> Vec<&'static str> {
    CONSUMER_KEYS.iter().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied())).collect()
}

/// The assignors a consumer may name (client-side assignors of the classic protocol).
pub const ASSIGNORS: &[&str] = &["range", "roundrobin", "sticky", "cooperative-sticky"];

impl ConsumerConfig {
    /// Sets one canonical key (as written under `alias`). Errors say what would be right.
    pub fn set(&mut self, key: &str, alias: &str, value: &Value) -> Result<(), String> {
        match key {
            "group.instance.id" => self.group_instance_id = Some(text(alias, value)?.to_string()),
            "session.timeout.ms" => self.session_timeout_ms = ms(alias, value, 1)?,
            "heartbeat.interval.ms" => self.heartbeat_interval_ms = ms(alias, value, 1)?,
            "max.poll.interval.ms" => {
                let v = ms(alias, value, 1)?;
                self.max_poll_interval_ms = Some(v);
                self.rebalance_timeout_ms = v;
            }
            "rebalance.timeout.ms" => self.rebalance_timeout_ms = ms(alias, value, 1)?,
            "max.poll.records" => self.max_poll_records = ms(alias, value, 1)? as usize,
            "enable.auto.commit" => {
                self.commit = if boolean(alias, value)? { CommitMode::Auto } else { CommitMode::Never }
            }
            "commit" => {
                let s = text(alias, value)?;
                self.commit = CommitMode::parse(s).ok_or_else(|| {
                    format!("commit must be one of {}, got {s:?}", CommitMode::NAMES.join(", "))
                })?;
            }
            "auto.commit.interval.ms" => self.auto_commit_interval_ms = ms(alias, value, 0)?,
            "auto.offset.reset" => self.auto_offset_reset = parse_reset(alias, value)?,
            "fetch.min.bytes" => self.fetch_min_bytes = ms(alias, value, 0)? as u32,
            "fetch.max.wait.ms" => self.fetch_max_wait_ms = ms(alias, value, 0)?,
            "fetch.max.bytes" => self.fetch_max_bytes = bytes(alias, value)?,
            "max.partition.fetch.bytes" => {
                let v = bytes(alias, value)?;
                self.max_partition_fetch_bytes = v;
                if alias == "MaxBytes" {
                    // kafka-go uses MaxBytes for both limits.
                    self.fetch_max_bytes = v;
                }
            }
            "partition.assignment.strategy" => self.assignors = parse_assignors(alias, value)?,
            "retry.backoff.ms" => self.retry_backoff_ms = ms(alias, value, 0)?,
            "retry.backoff.max.ms" => self.retry_backoff_max_ms = ms(alias, value, 0)?,
            "join.backoff.ms" => self.join_backoff_ms = ms(alias, value, 0)?,
            "fetch.backoff.ms" => self.fetch_backoff_ms = ms(alias, value, 0)?,
            "fetch.backoff.max.ms" => self.fetch_backoff_max_ms = ms(alias, value, 0)?,
            "max.processing.time.ms" => self.max_processing_time_ms = Some(ms(alias, value, 1)?),
            "buffer.records" => self.buffer_records = ms(alias, value, 0)?,
            "request.timeout.ms" => self.request_timeout_ms = ms(alias, value, 1)?,
            "metadata.max.age.ms" => self.metadata_max_age_ms = ms(alias, value, 1)?,
            "watch.partition.changes" => self.watch_partition_changes = boolean(alias, value)?,
            "isolation.level" => {
                let s = text(alias, value)?;
                self.read_committed = match s {
                    "read_committed" | "ReadCommitted" => true,
                    "read_uncommitted" | "ReadUncommitted" => false,
                    _ => {
                        return Err(format!(
                            "`{alias}` must be \"read_uncommitted\" or \"read_committed\", got {s:?}"
                        ))
                    }
                };
            }
            "processing.ms.per.record" => {
                self.processing_us_per_record = match value {
                    Value::Int(v) if *v >= 0 => (*v as u64).saturating_mul(1000),
                    other => {
                        return Err(format!("`{alias}` takes a number of milliseconds ≥ 0, got {other}"))
                    }
                }
            }
            _ => return Err(format!("unknown consumer setting `{key}`")),
        }
        Ok(())
    }

    /// Checks the settings together, as the clients do at construction, and settles what depends on several of
    /// them: kafka-go's `ReadMessage`/`FetchMessage` commit synchronously when `CommitInterval` is 0 and
    /// periodically in the background otherwise.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.client == ClientProfile::KafkaGo && self.auto_commit_interval_ms > 0 {
            self.commit = match self.commit {
                CommitMode::BeforeProcess => CommitMode::AutoOnRead,
                CommitMode::Sync => CommitMode::Auto,
                other => other,
            };
        }
        if self.commit == CommitMode::Auto && self.auto_commit_interval_ms == 0 {
            return Err("auto.commit.interval.ms must be at least 1 with automatic commits".to_string());
        }
        if self.heartbeat_interval_ms >= self.session_timeout_ms {
            return Err(format!(
                "heartbeat.interval.ms ({}) must be lower than session.timeout.ms ({})",
                self.heartbeat_interval_ms, self.session_timeout_ms
            ));
        }
        Ok(())
    }
}

fn ms(key: &str, value: &Value, min: i64) -> Result<u64, String> {
    match value {
        Value::Int(v) if *v >= min && *v <= i64::from(i32::MAX) => Ok(*v as u64),
        Value::Int(v) => Err(format!("`{key}` must be between {min} and {}, got {v}", i32::MAX)),
        other => Err(format!("`{key}` takes a whole number, got {other}")),
    }
}

/// A byte limit. kafka-go's `MaxBytes` is an int; a value above 2 GiB overflows the Fetch request's int32 field,
/// so it is refused here with that explanation.
fn bytes(key: &str, value: &Value) -> Result<u32, String> {
    match value {
        Value::Int(v) if *v >= 1 && *v <= i64::from(i32::MAX) => Ok(*v as u32),
        Value::Int(v) if *v > i64::from(i32::MAX) => Err(format!(
            "`{key}` = {v} does not fit the Fetch request's 32-bit signed byte limit (at most 2147483647); \
             a larger value wraps around in clients that do not check it"
        )),
        Value::Int(v) => Err(format!("`{key}` must be at least 1, got {v}")),
        other => Err(format!("`{key}` takes a whole number of bytes, got {other}")),
    }
}

fn boolean(key: &str, value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(format!("`{key}` takes true or false, got {other}")),
    }
}

fn text<'a>(key: &str, value: &'a Value) -> Result<&'a str, String> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(format!("`{key}` takes a string, got {other}")),
    }
}

fn parse_reset(key: &str, value: &Value) -> Result<OffsetReset, String> {
    let s = text(key, value)?;
    match s {
        "earliest" | "OffsetOldest" | "FirstOffset" => Ok(OffsetReset::Earliest),
        "latest" | "OffsetNewest" | "LastOffset" => Ok(OffsetReset::Latest),
        "none" => Ok(OffsetReset::None),
        _ => Err(format!(
            "`{key}` must be \"earliest\", \"latest\" or \"none\" (sarama OffsetOldest/OffsetNewest, kafka-go \
             FirstOffset/LastOffset), got {s:?}"
        )),
    }
}

fn parse_assignors(key: &str, value: &Value) -> Result<Vec<String>, String> {
    let s = text(key, value)?;
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let name = match part {
            "RangeAssignor" | "Range" | "BalanceStrategyRange" | "RangeGroupBalancer" => "range",
            "RoundRobinAssignor" | "RoundRobin" | "BalanceStrategyRoundRobin" | "RoundRobinGroupBalancer" => {
                "roundrobin"
            }
            "StickyAssignor" | "Sticky" | "BalanceStrategySticky" => "sticky",
            "CooperativeStickyAssignor" | "CooperativeSticky" => "cooperative-sticky",
            other => other,
        };
        if !ASSIGNORS.contains(&name) {
            return Err(format!(
                "`{key}`: unknown assignor {part:?}; known: {} (comma-separated, most preferred first)",
                ASSIGNORS.join(", ")
            ));
        }
        out.push(name.to_string());
    }
    if out.is_empty() {
        return Err(format!("`{key}` needs at least one assignor, e.g. \"range\""));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_offsets_differ_across_clients() {
        assert_eq!(ConsumerConfig::defaults(ClientProfile::Java).auto_offset_reset, OffsetReset::Latest);
        assert_eq!(ConsumerConfig::defaults(ClientProfile::Sarama).auto_offset_reset, OffsetReset::Latest);
        assert_eq!(ConsumerConfig::defaults(ClientProfile::KafkaGo).auto_offset_reset, OffsetReset::Earliest);
        assert_eq!(ConsumerConfig::defaults(ClientProfile::KafkaGo).assignors, vec!["range", "roundrobin"]);
    }

    #[test]
    fn aliases_map_to_kafka_names() {
        assert_eq!(lookup("StartOffset"), Some("auto.offset.reset"));
        assert_eq!(lookup("Consumer.Offsets.Initial"), Some("auto.offset.reset"));
        let mut c = ConsumerConfig::defaults(ClientProfile::KafkaGo);
        c.set("auto.offset.reset", "StartOffset", &Value::Str("LastOffset".into())).unwrap();
        assert_eq!(c.auto_offset_reset, OffsetReset::Latest);
        let err = c.set("max.partition.fetch.bytes", "MaxBytes", &Value::Int(3 << 30)).unwrap_err();
        assert!(err.contains("32-bit"), "{err}");
    }
}
