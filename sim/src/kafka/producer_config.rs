//! Producer configuration: Kafka's names, the three client profiles' defaults, and each client's own field names
//! as aliases so users can paste their settings. Defaults are from `shared/reference/client-defaults.md`
//! (apache/kafka 4.x for `java`, IBM/sarama v1.60.1, segmentio/kafka-go v0.4.50 `Writer{}`).

use super::compression::Codec;
use super::partitioner::PartitionerKind;
use serde::Serialize;

/// Which client a producer imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientProfile {
    /// The Java client (`KafkaProducer`), Kafka 4.x defaults.
    Java,
    /// IBM/sarama (`sarama.NewConfig()`).
    Sarama,
    /// segmentio/kafka-go (`kafka.Writer{}`).
    KafkaGo,
}

impl ClientProfile {
    /// Parses `java`, `sarama`, `kafka-go`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "java" => Some(ClientProfile::Java),
            "sarama" => Some(ClientProfile::Sarama),
            "kafka-go" => Some(ClientProfile::KafkaGo),
            _ => None,
        }
    }

    /// The accepted names.
    pub const NAMES: &'static [&'static str] = &["java", "sarama", "kafka-go"];
}

/// A producer's effective settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProducerConfig {
    /// The client it imitates.
    pub client: ClientProfile,
    /// `acks`: 0, 1 or -1 (all).
    pub acks: i16,
    /// `retries`.
    pub retries: u32,
    /// `retry.backoff.ms`: the first retry's backoff.
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms`: backoff doubles per attempt up to this (KIP-580; kafka-go `WriteBackoffMax`).
    /// Equal to `retry_backoff_ms` for a fixed backoff (sarama).
    pub retry_backoff_max_ms: u64,
    /// `request.timeout.ms`: the client's wait for a response, also sent as the broker's acks=all wait.
    pub request_timeout_ms: u64,
    /// `delivery.timeout.ms` (Java only: an upper bound on send + retries); `None` = no such bound.
    pub delivery_timeout_ms: Option<u64>,
    /// `linger.ms`.
    pub linger_ms: u64,
    /// `batch.size` in bytes (0 = no batching: one record per request).
    pub batch_size: u32,
    /// A record-count limit per batch (kafka-go `BatchSize`, sarama `Flush.MaxMessages`); `None` = none.
    pub batch_max_records: Option<u32>,
    /// `max.request.size`.
    pub max_request_size: u32,
    /// `enable.idempotence`.
    pub enable_idempotence: bool,
    /// `compression.type`.
    pub compression: Codec,
    /// `partitioner.class` / sarama `Producer.Partitioner` / kafka-go `Balancer`.
    #[serde(serialize_with = "serialize_debug")]
    pub partitioner: PartitionerKind,
    /// `metadata.max.age.ms`.
    pub metadata_max_age_ms: u64,
    /// `buffer.memory`: sends wait when this many bytes are unacknowledged.
    pub buffer_memory: u64,
    /// Synchronous send: each record waits for its result before the next (`send().get()`, sarama
    /// SyncProducer, kafka-go `Async=false`). Asynchronous sends report through the trace, like sarama's
    /// AsyncProducer `Errors()` channel.
    pub sync: bool,
}

impl ProducerConfig {
    /// The defaults of a client.
    pub fn defaults(client: ClientProfile) -> Self {
        match client {
            ClientProfile::Java => Self {
                client,
                acks: -1,
                retries: i32::MAX as u32,
                retry_backoff_ms: 100,
                retry_backoff_max_ms: 1_000,
                request_timeout_ms: 30_000,
                delivery_timeout_ms: Some(120_000),
                linger_ms: 5, // KIP-1030 (Kafka 4.0)
                batch_size: 16_384,
                batch_max_records: None,
                max_request_size: 1_048_576,
                enable_idempotence: true,
                compression: Codec::None,
                partitioner: PartitionerKind::JavaBuiltIn,
                metadata_max_age_ms: 300_000,
                buffer_memory: 33_554_432,
                sync: false,
            },
            ClientProfile::Sarama => Self {
                client,
                acks: 1,
                retries: 3,
                retry_backoff_ms: 100,
                retry_backoff_max_ms: 100, // Producer.Retry.Backoff is fixed unless BackoffFunc is set
                request_timeout_ms: 10_000, // Producer.Timeout: the broker-side ack wait
                delivery_timeout_ms: None,
                linger_ms: 0,
                batch_size: 0,
                batch_max_records: None,
                max_request_size: 1_048_576,
                enable_idempotence: false,
                compression: Codec::None,
                partitioner: PartitionerKind::SaramaHash,
                metadata_max_age_ms: 600_000,
                buffer_memory: u64::MAX,
                sync: false,
            },
            ClientProfile::KafkaGo => Self {
                client,
                acks: 0,    // a Writer{} literal: RequireNone
                retries: 9, // MaxAttempts 10
                retry_backoff_ms: 100,
                retry_backoff_max_ms: 1_000,
                request_timeout_ms: 10_000,
                delivery_timeout_ms: None,
                linger_ms: 1_000,             // BatchTimeout
                batch_size: 1_048_576,        // BatchBytes
                batch_max_records: Some(100), // BatchSize
                max_request_size: 1_048_576,
                enable_idempotence: false,
                compression: Codec::None,
                partitioner: PartitionerKind::KafkaGoRoundRobin,
                metadata_max_age_ms: 6_000,
                buffer_memory: u64::MAX,
                sync: true, // WriteMessages blocks unless Async
            },
        }
    }
}

/// A setting a producer accepts: Kafka's name, and the aliases of sarama and kafka-go.
#[derive(Clone, Copy, Debug)]
pub struct ProducerKey {
    /// Kafka's name (the canonical one).
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
}

/// Every producer setting.
pub const PRODUCER_KEYS: &[ProducerKey] = &[
    ProducerKey { name: "acks", aliases: &["Producer.RequiredAcks", "RequiredAcks"] },
    ProducerKey { name: "retries", aliases: &["Producer.Retry.Max", "MaxAttempts"] },
    ProducerKey { name: "retry.backoff.ms", aliases: &["Producer.Retry.Backoff", "WriteBackoffMin"] },
    ProducerKey { name: "retry.backoff.max.ms", aliases: &["WriteBackoffMax"] },
    ProducerKey { name: "request.timeout.ms", aliases: &["Producer.Timeout", "WriteTimeout"] },
    ProducerKey { name: "delivery.timeout.ms", aliases: &[] },
    ProducerKey { name: "linger.ms", aliases: &["Producer.Flush.Frequency", "BatchTimeout"] },
    ProducerKey { name: "batch.size", aliases: &["Producer.Flush.Bytes", "BatchBytes"] },
    ProducerKey { name: "batch.max.records", aliases: &["Producer.Flush.MaxMessages", "BatchSize"] },
    ProducerKey { name: "max.request.size", aliases: &["Producer.MaxMessageBytes"] },
    ProducerKey { name: "enable.idempotence", aliases: &["Producer.Idempotent"] },
    ProducerKey { name: "compression.type", aliases: &["Producer.Compression", "Compression"] },
    ProducerKey { name: "partitioner", aliases: &["partitioner.class", "Producer.Partitioner", "Balancer"] },
    ProducerKey { name: "metadata.max.age.ms", aliases: &["Metadata.RefreshFrequency", "MetadataTTL"] },
    ProducerKey { name: "buffer.memory", aliases: &[] },
    ProducerKey { name: "sync", aliases: &["Async"] },
];

/// Finds a key by Kafka name or alias; returns the canonical name and whether the alias inverts a boolean
/// (kafka-go's `Async = true` means `sync = false`).
pub fn lookup(name: &str) -> Option<(&'static str, bool)> {
    PRODUCER_KEYS.iter().find_map(|k| {
        if k.name == name {
            Some((k.name, false))
        } else if k.aliases.contains(&name) {
            Some((k.name, name == "Async"))
        } else {
            None
        }
    })
}

/// Every accepted name, for "did you mean".
pub fn all_names() -> Vec<&'static str> {
    PRODUCER_KEYS.iter().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied())).collect()
}

/// A value as written in the scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Str(String),
}

impl std::fmt::Display for Value {
    /// The value as it was written in TOML.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl ProducerConfig {
    /// Settles idempotence as each client does once every setting is read ([PC:554-601], [S-CFG:811-823]):
    /// the Java producer silently turns its default idempotence off when acks is not `all` or retries is 0,
    /// and refuses the combination when `enable.idempotence` was set explicitly; sarama refuses
    /// `Producer.Idempotent` without `WaitForAll` and retries; kafka-go's Writer has no idempotence at all.
    pub fn settle_idempotence(&mut self, explicit: bool) -> Result<(), String> {
        if !self.enable_idempotence {
            return Ok(());
        }
        let compatible = self.acks == -1 && self.retries > 0;
        match self.client {
            ClientProfile::KafkaGo => Err(
                "kafka-go's Writer has no idempotent mode (no producer id, no sequence numbers): remove enable.idempotence"
                    .to_string(),
            ),
            ClientProfile::Sarama if !compatible => Err(format!(
                "Producer.Idempotent requires Producer.RequiredAcks = WaitForAll and Producer.Retry.Max >= 1 (sarama's Config.Validate; also Net.MaxOpenRequests = 1); got acks={} and {} retries",
                self.acks, self.retries
            )),
            ClientProfile::Java if !compatible && explicit => Err(format!(
                "enable.idempotence=true needs acks=all and retries > 0 (KafkaProducer throws a ConfigException); got acks={} and retries={}. Drop enable.idempotence to let the client turn it off",
                self.acks, self.retries
            )),
            ClientProfile::Java if !compatible => {
                self.enable_idempotence = false;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Sets one canonical key. Errors say what would be right.
    pub fn set(&mut self, key: &str, invert: bool, value: &Value) -> Result<(), String> {
        match key {
            "acks" => self.acks = parse_acks(value)?,
            "retries" => self.retries = int(key, value, 0, i32::MAX as i64)? as u32,
            "retry.backoff.ms" => self.retry_backoff_ms = int(key, value, 0, i32::MAX as i64)? as u64,
            "retry.backoff.max.ms" => self.retry_backoff_max_ms = int(key, value, 0, i32::MAX as i64)? as u64,
            "request.timeout.ms" => self.request_timeout_ms = int(key, value, 1, i32::MAX as i64)? as u64,
            "delivery.timeout.ms" => {
                self.delivery_timeout_ms = Some(int(key, value, 1, i32::MAX as i64)? as u64)
            }
            "linger.ms" => self.linger_ms = int(key, value, 0, i32::MAX as i64)? as u64,
            "batch.size" => self.batch_size = int(key, value, 0, i32::MAX as i64)? as u32,
            "batch.max.records" => self.batch_max_records = Some(int(key, value, 1, i32::MAX as i64)? as u32),
            "max.request.size" => self.max_request_size = int(key, value, 1, i32::MAX as i64)? as u32,
            "enable.idempotence" => self.enable_idempotence = boolean(key, value)?,
            "compression.type" => self.compression = text(key, value)?.parse()?,
            "partitioner" => {
                let name = text(key, value)?;
                self.partitioner = name.parse().map_err(|_| {
                    format!("unknown partitioner `{name}`; known: {}", PartitionerKind::NAMES.join(", "))
                })?
            }
            "metadata.max.age.ms" => self.metadata_max_age_ms = int(key, value, 1, i64::MAX)? as u64,
            "buffer.memory" => self.buffer_memory = int(key, value, 1, i64::MAX)? as u64,
            "sync" => self.sync = boolean(key, value)? != invert,
            _ => return Err(format!("unknown producer setting `{key}`")),
        }
        Ok(())
    }
}

fn serialize_debug<S: serde::Serializer, T: std::fmt::Debug>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:?}"))
}

fn parse_acks(value: &Value) -> Result<i16, String> {
    match value {
        Value::Int(v @ -1..=1) => Ok(*v as i16),
        Value::Str(s) => match s.as_str() {
            "all" | "-1" | "WaitForAll" | "RequireAll" => Ok(-1),
            "1" | "WaitForLocal" | "RequireOne" => Ok(1),
            "0" | "NoResponse" | "RequireNone" => Ok(0),
            _ => Err(format!(
                "acks must be 0, 1, -1 or \"all\" (sarama WaitForAll, kafka-go RequireAll), got {s:?}"
            )),
        },
        other => Err(format!("acks must be 0, 1, -1 or \"all\", got {other}")),
    }
}

fn int(key: &str, value: &Value, min: i64, max: i64) -> Result<i64, String> {
    match value {
        Value::Int(v) if (min..=max).contains(v) => Ok(*v),
        Value::Int(v) => Err(format!("`{key}` must be between {min} and {max}, got {v}")),
        other => Err(format!("`{key}` takes a whole number, got {other}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_defaults_differ_across_clients() {
        assert_eq!(ProducerConfig::defaults(ClientProfile::Java).acks, -1);
        assert_eq!(ProducerConfig::defaults(ClientProfile::Sarama).acks, 1);
        assert_eq!(ProducerConfig::defaults(ClientProfile::KafkaGo).acks, 0);
    }

    #[test]
    fn aliases_map_to_kafka_names() {
        assert_eq!(lookup("Producer.RequiredAcks"), Some(("acks", false)));
        assert_eq!(lookup("Async"), Some(("sync", true)));
        let mut c = ProducerConfig::defaults(ClientProfile::KafkaGo);
        c.set("sync", true, &Value::Bool(true)).unwrap();
        assert!(!c.sync, "kafka-go Async=true is an asynchronous writer");
        c.set("acks", false, &Value::Str("WaitForAll".into())).unwrap();
        assert_eq!(c.acks, -1);
    }
}
