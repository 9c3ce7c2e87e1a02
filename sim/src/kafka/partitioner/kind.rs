//! Which client partitioner a simulated producer uses, and the names a user may call it by.

use super::hash::Hasher32;
use super::{java, kafka_go, sarama};
use std::fmt;
use std::str::FromStr;

/// A client's key → partition strategy, as configured in a real producer. Parse one with [`str::parse`]
/// from any of [`NAMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartitionerKind {
    /// Java `KafkaProducer` without `partitioner.class` (`BuiltInPartitioner`, KIP-794): murmur2 over all
    /// partitions for keyed records, sticky for keyless ones.
    JavaBuiltIn,
    /// Java `partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner`: ignores keys.
    JavaRoundRobin,
    /// sarama `NewHashPartitioner` (sarama's default): FNV-1a, signed `%` then negate; nil key random.
    SaramaHash,
    /// sarama `NewReferenceHashPartitioner`: FNV-1a with `& 0x7fffffff` (not murmur2!); nil key random.
    SaramaReferenceHash,
    /// sarama `NewMurmur2Partitioner`: Java-compatible murmur2; nil key random.
    SaramaMurmur2,
    /// sarama `NewConsistentCRCHashPartitioner`: unsigned CRC-32 IEEE; nil key random.
    SaramaConsistentCrc,
    /// sarama `NewCustomHashPartitioner(crc32.NewIEEE)`: CRC-32 with the signed reduction; nil key random.
    SaramaCustomCrc32Signed,
    /// sarama `NewCustomPartitioner(WithAbsFirst(), WithCustomHashFunction(crc32.NewIEEE))`; nil key random.
    SaramaCustomAbsFirstCrc32,
    /// sarama `NewRoundRobinPartitioner`: cycles through the writable partitions, ignoring keys.
    SaramaRoundRobin,
    /// sarama `NewRandomPartitioner`: a uniform pick among the writable partitions, ignoring keys.
    SaramaRandom,
    /// kafka-go `&kafka.RoundRobin{}` (the `Writer` default, ChunkSize 1): ignores keys.
    KafkaGoRoundRobin,
    /// kafka-go `&kafka.LeastBytes{}`: the partition that has received the fewest key+value bytes.
    KafkaGoLeastBytes,
    /// kafka-go `&kafka.Hash{}`: FNV-1a like `sarama.NewHashPartitioner`; nil key round-robin.
    KafkaGoHash,
    /// kafka-go `&kafka.ReferenceHash{}`: FNV-1a like `sarama.NewReferenceHashPartitioner`; nil key random.
    KafkaGoReferenceHash,
    /// kafka-go `kafka.CRC32Balancer{}` (librdkafka `consistent_random`): nil and empty keys random.
    KafkaGoCrc32,
    /// kafka-go `kafka.CRC32Balancer{Consistent: true}` (librdkafka `consistent`): nil/empty keys hashed.
    KafkaGoCrc32Consistent,
    /// kafka-go `kafka.Murmur2Balancer{}` (librdkafka `murmur2_random`): Java-compatible; nil key random.
    KafkaGoMurmur2,
    /// kafka-go `kafka.Murmur2Balancer{Consistent: true}` (librdkafka `murmur2`): nil key hashed as empty.
    KafkaGoMurmur2Consistent,
    /// kafka-go `&kafka.Hash{Hasher: crc32.NewIEEE()}`; nil key round-robin.
    KafkaGoHashCrc32Hasher,
    /// kafka-go `&kafka.ReferenceHash{Hasher: crc32.NewIEEE()}`; nil key random.
    KafkaGoReferenceHashCrc32Hasher,
}

/// Every accepted spelling, canonical name first for each kind. Matching ignores case and treats `_` and
/// spaces as `-`. Short names pick one client: `murmur2`/`sticky`/`default` are the Java client,
/// `hash`/`fnv1a` sarama's default, `round_robin`/`least_bytes`/`crc32` kafka-go's balancers, and
/// `consistent`/`consistent_random`/`murmur2_random` librdkafka's names (as kafka-go implements them).
const NAME_TABLE: &[(&str, PartitionerKind)] = &[
    ("java-builtin", PartitionerKind::JavaBuiltIn),
    ("java-default-keyed-partition", PartitionerKind::JavaBuiltIn),
    ("java-builtin-sticky-uniform", PartitionerKind::JavaBuiltIn),
    ("java-builtin-sticky-adaptive", PartitionerKind::JavaBuiltIn),
    ("java-default", PartitionerKind::JavaBuiltIn),
    ("default", PartitionerKind::JavaBuiltIn),
    ("sticky", PartitionerKind::JavaBuiltIn),
    ("murmur2", PartitionerKind::JavaBuiltIn),
    ("java-round-robin-partitioner", PartitionerKind::JavaRoundRobin),
    ("java-round-robin", PartitionerKind::JavaRoundRobin),
    ("sarama-hash", PartitionerKind::SaramaHash),
    ("hash", PartitionerKind::SaramaHash),
    ("fnv1a", PartitionerKind::SaramaHash),
    ("fnv", PartitionerKind::SaramaHash),
    ("sarama-reference-hash", PartitionerKind::SaramaReferenceHash),
    ("reference-hash", PartitionerKind::SaramaReferenceHash),
    ("sarama-murmur2", PartitionerKind::SaramaMurmur2),
    ("sarama-consistent-crc-hash", PartitionerKind::SaramaConsistentCrc),
    ("consistent-crc", PartitionerKind::SaramaConsistentCrc),
    ("sarama-custom-crc32-signed", PartitionerKind::SaramaCustomCrc32Signed),
    ("sarama-custom-absfirst-crc32", PartitionerKind::SaramaCustomAbsFirstCrc32),
    ("sarama-round-robin", PartitionerKind::SaramaRoundRobin),
    ("sarama-random", PartitionerKind::SaramaRandom),
    ("random", PartitionerKind::SaramaRandom),
    ("kafka-go-round-robin", PartitionerKind::KafkaGoRoundRobin),
    ("round-robin", PartitionerKind::KafkaGoRoundRobin),
    ("roundrobin", PartitionerKind::KafkaGoRoundRobin),
    ("kafka-go-least-bytes", PartitionerKind::KafkaGoLeastBytes),
    ("least-bytes", PartitionerKind::KafkaGoLeastBytes),
    ("leastbytes", PartitionerKind::KafkaGoLeastBytes),
    ("kafka-go-hash", PartitionerKind::KafkaGoHash),
    ("kafka-go-reference-hash", PartitionerKind::KafkaGoReferenceHash),
    ("kafka-go-crc32", PartitionerKind::KafkaGoCrc32),
    ("crc32", PartitionerKind::KafkaGoCrc32),
    ("consistent-random", PartitionerKind::KafkaGoCrc32),
    ("kafka-go-crc32-consistent", PartitionerKind::KafkaGoCrc32Consistent),
    ("consistent", PartitionerKind::KafkaGoCrc32Consistent),
    ("kafka-go-murmur2", PartitionerKind::KafkaGoMurmur2),
    ("murmur2-random", PartitionerKind::KafkaGoMurmur2),
    ("kafka-go-murmur2-consistent", PartitionerKind::KafkaGoMurmur2Consistent),
    ("kafka-go-hash-crc32-hasher", PartitionerKind::KafkaGoHashCrc32Hasher),
    ("kafka-go-reference-hash-crc32-hasher", PartitionerKind::KafkaGoReferenceHashCrc32Hasher),
];

/// Every name [`PartitionerKind::from_str`] accepts (in [`NAME_TABLE`] order), for error messages.
pub const NAMES: &[&str] = &[
    "java-builtin",
    "java-default-keyed-partition",
    "java-builtin-sticky-uniform",
    "java-builtin-sticky-adaptive",
    "java-default",
    "default",
    "sticky",
    "murmur2",
    "java-round-robin-partitioner",
    "java-round-robin",
    "sarama-hash",
    "hash",
    "fnv1a",
    "fnv",
    "sarama-reference-hash",
    "reference-hash",
    "sarama-murmur2",
    "sarama-consistent-crc-hash",
    "consistent-crc",
    "sarama-custom-crc32-signed",
    "sarama-custom-absfirst-crc32",
    "sarama-round-robin",
    "sarama-random",
    "random",
    "kafka-go-round-robin",
    "round-robin",
    "roundrobin",
    "kafka-go-least-bytes",
    "least-bytes",
    "leastbytes",
    "kafka-go-hash",
    "kafka-go-reference-hash",
    "kafka-go-crc32",
    "crc32",
    "consistent-random",
    "kafka-go-crc32-consistent",
    "consistent",
    "kafka-go-murmur2",
    "murmur2-random",
    "kafka-go-murmur2-consistent",
    "kafka-go-hash-crc32-hasher",
    "kafka-go-reference-hash-crc32-hasher",
];

impl PartitionerKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [PartitionerKind] = &[
        Self::JavaBuiltIn,
        Self::JavaRoundRobin,
        Self::SaramaHash,
        Self::SaramaReferenceHash,
        Self::SaramaMurmur2,
        Self::SaramaConsistentCrc,
        Self::SaramaCustomCrc32Signed,
        Self::SaramaCustomAbsFirstCrc32,
        Self::SaramaRoundRobin,
        Self::SaramaRandom,
        Self::KafkaGoRoundRobin,
        Self::KafkaGoLeastBytes,
        Self::KafkaGoHash,
        Self::KafkaGoReferenceHash,
        Self::KafkaGoCrc32,
        Self::KafkaGoCrc32Consistent,
        Self::KafkaGoMurmur2,
        Self::KafkaGoMurmur2Consistent,
        Self::KafkaGoHashCrc32Hasher,
        Self::KafkaGoReferenceHashCrc32Hasher,
    ];

    /// Every accepted name; the same list as the module's [`NAMES`].
    pub const NAMES: &'static [&'static str] = NAMES;

    /// The canonical name (the first [`NAMES`] entry of this kind; a partitioners.json implementation name
    /// where one exists). `name().parse()` gives the kind back.
    pub fn name(self) -> &'static str {
        NAME_TABLE.iter().find(|(_, kind)| *kind == self).map(|(name, _)| *name).unwrap_or("?")
    }

    /// How a user of the real client selects it, e.g. `sarama.NewHashPartitioner`.
    pub fn client_api(self) -> &'static str {
        match self {
            Self::JavaBuiltIn => "java BuiltInPartitioner",
            Self::JavaRoundRobin => "java RoundRobinPartitioner",
            Self::SaramaHash => "sarama.NewHashPartitioner",
            Self::SaramaReferenceHash => "sarama.NewReferenceHashPartitioner",
            Self::SaramaMurmur2 => "sarama.NewMurmur2Partitioner",
            Self::SaramaConsistentCrc => "sarama.NewConsistentCRCHashPartitioner",
            Self::SaramaCustomCrc32Signed => "sarama.NewCustomHashPartitioner(crc32.NewIEEE)",
            Self::SaramaCustomAbsFirstCrc32 => "sarama.NewCustomPartitioner(WithAbsFirst, crc32)",
            Self::SaramaRoundRobin => "sarama.NewRoundRobinPartitioner",
            Self::SaramaRandom => "sarama.NewRandomPartitioner",
            Self::KafkaGoRoundRobin => "kafka-go RoundRobin{}",
            Self::KafkaGoLeastBytes => "kafka-go LeastBytes{}",
            Self::KafkaGoHash => "kafka-go Hash{}",
            Self::KafkaGoReferenceHash => "kafka-go ReferenceHash{}",
            Self::KafkaGoCrc32 => "kafka-go CRC32Balancer{}",
            Self::KafkaGoCrc32Consistent => "kafka-go CRC32Balancer{Consistent}",
            Self::KafkaGoMurmur2 => "kafka-go Murmur2Balancer{}",
            Self::KafkaGoMurmur2Consistent => "kafka-go Murmur2Balancer{Consistent}",
            Self::KafkaGoHashCrc32Hasher => "kafka-go Hash{Hasher: crc32}",
            Self::KafkaGoReferenceHashCrc32Hasher => "kafka-go ReferenceHash{Hasher: crc32}",
        }
    }

    /// Whether a key can decide the partition at all (false for round-robin, least-bytes and random).
    pub fn uses_keys(self) -> bool {
        !matches!(
            self,
            Self::JavaRoundRobin
                | Self::SaramaRoundRobin
                | Self::SaramaRandom
                | Self::KafkaGoRoundRobin
                | Self::KafkaGoLeastBytes
        )
    }

    /// The partition the key alone decides, with the topic's partitions `0..num_partitions` offered as every
    /// client offers them for a keyed record. `None` when this client does not partition this key by hash:
    /// it ignores keys, or treats this key (nil; empty for `CRC32Balancer{}`) as no key and falls back to
    /// random, round-robin or sticky choice.
    pub fn partition_for_key(self, key: Option<&[u8]>, num_partitions: u32) -> Option<u32> {
        use sarama::HashReduction::{AbsFirst, Signed, Unsigned};
        use Hasher32::{Crc32Ieee, Fnv1a};
        let n = num_partitions;
        match self {
            Self::JavaBuiltIn => key.map(|k| java::partition_for_key(k, n)),
            Self::SaramaHash => key.map(|k| sarama::hash_partition(Fnv1a, Signed, k, n)),
            Self::SaramaReferenceHash => key.map(|k| sarama::hash_partition(Fnv1a, AbsFirst, k, n)),
            Self::SaramaMurmur2 => key.map(|k| sarama::murmur2_partition(k, n)),
            Self::SaramaConsistentCrc => key.map(|k| sarama::hash_partition(Crc32Ieee, Unsigned, k, n)),
            Self::SaramaCustomCrc32Signed => key.map(|k| sarama::hash_partition(Crc32Ieee, Signed, k, n)),
            Self::SaramaCustomAbsFirstCrc32 => key.map(|k| sarama::hash_partition(Crc32Ieee, AbsFirst, k, n)),
            Self::KafkaGoHash => key.map(|k| kafka_go::hash_index(Fnv1a, k, n)),
            Self::KafkaGoReferenceHash => key.map(|k| kafka_go::reference_hash_index(Fnv1a, k, n)),
            Self::KafkaGoHashCrc32Hasher => key.map(|k| kafka_go::hash_index(Crc32Ieee, k, n)),
            Self::KafkaGoReferenceHashCrc32Hasher => {
                key.map(|k| kafka_go::reference_hash_index(Crc32Ieee, k, n))
            }
            Self::KafkaGoCrc32 => kafka_go::crc32_index(false, key, n),
            Self::KafkaGoCrc32Consistent => kafka_go::crc32_index(true, key, n),
            Self::KafkaGoMurmur2 => kafka_go::murmur2_index(false, key, n),
            Self::KafkaGoMurmur2Consistent => kafka_go::murmur2_index(true, key, n),
            Self::JavaRoundRobin
            | Self::SaramaRoundRobin
            | Self::SaramaRandom
            | Self::KafkaGoRoundRobin
            | Self::KafkaGoLeastBytes => None,
        }
    }
}

impl fmt::Display for PartitionerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A partitioner name that is not one of [`NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown partitioner \"{name}\"{}; valid names: {}", did_you_mean(*suggestion), NAMES.join(", "))]
pub struct UnknownPartitioner {
    /// What the user wrote.
    pub name: String,
    /// The closest valid name, if one is close enough to be a likely typo.
    pub suggestion: Option<&'static str>,
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default()
}

impl FromStr for PartitionerKind {
    type Err = UnknownPartitioner;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = normalize_name(s);
        NAME_TABLE.iter().find(|(name, _)| *name == wanted).map(|(_, kind)| *kind).ok_or_else(|| {
            UnknownPartitioner { name: s.to_string(), suggestion: closest_name(&wanted, NAMES) }
        })
    }
}

/// Lower case, with `_` and spaces read as `-`: `Round_Robin` and `round-robin` are the same name.
pub fn normalize_name(s: &str) -> String {
    s.trim().chars().map(|c| if c == '_' || c == ' ' { '-' } else { c.to_ascii_lowercase() }).collect()
}

/// The candidate nearest to `input` by edit distance, if it is within a third of the input's length (at
/// least 2 edits), so that only plausible typos are suggested. Ties go to the earlier candidate.
pub fn closest_name<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(2);
    let (best, distance) =
        candidates.iter().map(|c| (*c, edit_distance(input, c))).min_by_key(|&(_, distance)| distance)?;
    (distance <= limit).then_some(best)
}

/// Levenshtein distance over chars (insert, delete, substitute each cost 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_list_matches_the_table() {
        let table: Vec<&str> = NAME_TABLE.iter().map(|(name, _)| *name).collect();
        assert_eq!(table, NAMES);
        for kind in PartitionerKind::ALL {
            assert_eq!(kind.name().parse::<PartitionerKind>(), Ok(*kind), "{kind:?}");
        }
    }

    #[test]
    fn parses_what_users_write() {
        let cases = [
            ("murmur2", PartitionerKind::JavaBuiltIn),
            ("FNV1A", PartitionerKind::SaramaHash),
            ("round_robin", PartitionerKind::KafkaGoRoundRobin),
            ("least_bytes", PartitionerKind::KafkaGoLeastBytes),
            ("crc32", PartitionerKind::KafkaGoCrc32),
            ("sticky", PartitionerKind::JavaBuiltIn),
            ("sarama-consistent-crc-hash", PartitionerKind::SaramaConsistentCrc),
        ];
        for (name, kind) in cases {
            assert_eq!(name.parse::<PartitionerKind>(), Ok(kind), "{name}");
        }
    }

    #[test]
    fn unknown_name_suggests_the_nearest() {
        let err = "sarama-hsah".parse::<PartitionerKind>().unwrap_err();
        assert_eq!(err.suggestion, Some("sarama-hash"));
        assert!(err.to_string().contains("did you mean \"sarama-hash\"?"), "{err}");
        assert_eq!("zzzzzzzzzzzz".parse::<PartitionerKind>().unwrap_err().suggestion, None);
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
