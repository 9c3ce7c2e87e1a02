//! Key → partition, exactly as the Java client, sarama and kafka-go compute it.
//!
//! - [`hash`]: murmur2 (Java `Utils.murmur2`), `toPositive`, FNV-1a 32, CRC-32 IEEE.
//! - [`java`], [`sarama`], [`kafka_go`]: each client's partitioners as pure functions and small state
//!   machines, checked against `tests/conformance/partitioners.json`.
//! - [`java_random`]: `java.util.Random` and Kafka's `MockRandom`, to reproduce Java's seeded draws.
//! - [`PartitionerKind`] names a client's strategy; [`Partitioner`] is the stateful partitioner a simulated
//!   producer owns.
//!
//! Where a client draws at random (a keyless record under sarama's hash partitioners, kafka-go's
//! `ReferenceHash`/`CRC32Balancer`/`Murmur2Balancer`, the Java sticky switch), [`Partitioner`] draws from the
//! `rng` it is given, the simulation's seeded stream, so a run is reproducible even where the real client
//! is not.

pub mod hash;
pub mod java;
pub mod java_random;
pub mod kafka_go;
mod kind;
pub mod sarama;

pub use kind::{closest_name, edit_distance, normalize_name, PartitionerKind, UnknownPartitioner, NAMES};

/// The `rand_core` that [`Partitioner::partition`] takes its rng from, re-exported so that crates without
/// their own dependency on it (the integration tests) can name `RngCore`.
pub use rand_core;

use rand_core::RngCore;

/// One producer's partitioner: the [`PartitionerKind`] and the state its client keeps (sticky partition and
/// byte count, round-robin counter, least-bytes counters).
///
/// Java and sarama keep this state per topic (`RecordAccumulator.TopicInfo`, one sarama partitioner per
/// topic) and kafka-go per `Writer` (one balancer for all topics). A producer writing to several topics
/// should hold one `Partitioner` per topic for the Java and sarama kinds, and a single one for kafka-go
/// kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partitioner {
    kind: PartitionerKind,
    state: State,
}

/// The per-kind state: only the kinds that keep some have any.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Pure key hashing with random fallback: nothing to remember.
    Stateless,
    /// Java `BuiltInPartitioner`'s sticky partition for keyless records.
    JavaSticky(java::StickyPartitioner),
    /// Java `RoundRobinPartitioner`'s counter.
    JavaRoundRobin(java::RoundRobinPartitioner),
    /// sarama `roundRobinPartitioner`'s counter.
    SaramaRoundRobin(sarama::RoundRobin),
    /// kafka-go `RoundRobin`, alone or inside `Hash` (for nil keys).
    KafkaGoRoundRobin(kafka_go::RoundRobin),
    /// kafka-go `LeastBytes` counters.
    KafkaGoLeastBytes(kafka_go::LeastBytes),
}

impl Partitioner {
    /// A fresh partitioner, as the client builds it. `batch_size` is the Java producer's `batch.size`
    /// (bytes), the built-in sticky partitioner's switch threshold; the other kinds ignore it.
    pub fn new(kind: PartitionerKind, batch_size: u32) -> Self {
        let state = match kind {
            PartitionerKind::JavaBuiltIn => State::JavaSticky(java::StickyPartitioner::new(batch_size)),
            PartitionerKind::JavaRoundRobin => State::JavaRoundRobin(java::RoundRobinPartitioner::new()),
            PartitionerKind::SaramaRoundRobin => State::SaramaRoundRobin(sarama::RoundRobin::new()),
            PartitionerKind::KafkaGoRoundRobin
            | PartitionerKind::KafkaGoHash
            | PartitionerKind::KafkaGoHashCrc32Hasher => {
                State::KafkaGoRoundRobin(kafka_go::RoundRobin::default())
            }
            PartitionerKind::KafkaGoLeastBytes => State::KafkaGoLeastBytes(kafka_go::LeastBytes::new()),
            _ => State::Stateless,
        };
        Self { kind, state }
    }

    /// Which client strategy this is.
    pub fn kind(&self) -> PartitionerKind {
        self.kind
    }

    /// The partition of one record of a topic with partitions `0..num_partitions`.
    ///
    /// - `key`: the serialized key; `None` is a null/nil key, which differs from an empty one.
    /// - `record_bytes`: the record's size as the client counts it: bytes appended to the batch for the Java
    ///   sticky switch, `len(Key) + len(Value)` for kafka-go `LeastBytes`.
    /// - `available`: ids of the partitions that have a leader, ascending. Java offers them to the sticky and
    ///   round-robin choices and sarama to choices that need no consistency (nil key, round-robin, random);
    ///   both fall back to all partitions when none is available (sarama would fail the message with
    ///   `ErrLeaderNotAvailable`). Keyed hashing always uses all partitions, and kafka-go always passes all.
    /// - `rng`: the only source of randomness (the simulation's seeded stream).
    ///
    /// For `JavaBuiltIn` keyless records the sticky partition switches once `batch.size` bytes have gone to
    /// it (see [`java::StickyPartitioner`]); the choice is uniform over `available`. KIP-794's adaptive
    /// weighting by queue size is not applied here (the producer does not report queue sizes); it exists as
    /// the pure [`java::partition_load_stats`] and [`java::next_partition_adaptive`].
    pub fn partition(
        &mut self,
        key: Option<&[u8]>,
        record_bytes: u32,
        num_partitions: u32,
        available: &[u32],
        rng: &mut dyn RngCore,
    ) -> u32 {
        assert!(num_partitions > 0, "a topic has at least one partition");
        if let Some(partition) = self.kind.partition_for_key(key, num_partitions) {
            return partition;
        }
        match &mut self.state {
            State::JavaSticky(sticky) => {
                sticky.partition(record_bytes, available, num_partitions, || java_random_partition(rng))
            }
            State::JavaRoundRobin(rr) => rr.partition(available, num_partitions),
            State::SaramaRoundRobin(rr) => {
                let writable = Writable::new(available, num_partitions);
                writable.get(rr.partition(writable.len()))
            }
            State::KafkaGoRoundRobin(rr) => rr.next_index(num_partitions),
            State::KafkaGoLeastBytes(lb) => lb.balance_all(u64::from(record_bytes), num_partitions),
            State::Stateless => self.random_fallback(num_partitions, available, rng),
        }
    }

    /// The random choice of a client that falls back to chance for this record: sarama's `randomPartitioner`
    /// (`generator.Intn(n)` over the writable partitions) or kafka-go's `randomBalancer`
    /// (`partitions[rand.Int() % len]` over all partitions).
    fn random_fallback(&self, num_partitions: u32, available: &[u32], rng: &mut dyn RngCore) -> u32 {
        if self.is_sarama() {
            let writable = Writable::new(available, num_partitions);
            writable.get(uniform_below(rng, writable.len()))
        } else {
            uniform_below(rng, num_partitions)
        }
    }

    fn is_sarama(&self) -> bool {
        use PartitionerKind::*;
        matches!(
            self.kind,
            SaramaHash
                | SaramaReferenceHash
                | SaramaMurmur2
                | SaramaConsistentCrc
                | SaramaCustomCrc32Signed
                | SaramaCustomAbsFirstCrc32
                | SaramaRoundRobin
                | SaramaRandom
        )
    }
}

/// sarama's list for choices that need no consistency: `client.WritablePartitions(topic)`, or all
/// partitions when none is writable.
struct Writable<'a> {
    available: &'a [u32],
    num_partitions: u32,
}

impl<'a> Writable<'a> {
    fn new(available: &'a [u32], num_partitions: u32) -> Self {
        Self { available, num_partitions }
    }

    fn len(&self) -> u32 {
        if self.available.is_empty() {
            self.num_partitions
        } else {
            u32::try_from(self.available.len()).expect("Kafka partition counts fit in an int32")
        }
    }

    fn get(&self, index: u32) -> u32 {
        if self.available.is_empty() {
            index
        } else {
            self.available[index as usize]
        }
    }
}

/// Java's `BuiltInPartitioner.randomPartition()`: `Utils.toPositive(ThreadLocalRandom.current().nextInt())`,
/// drawn from the simulation's stream instead of the thread's.
fn java_random_partition(rng: &mut dyn RngCore) -> i32 {
    hash::to_positive(rng.next_u32() as i32)
}

/// A uniform draw from `0..n`, without modulo bias (rejects the top `2^32 mod n` values).
fn uniform_below(rng: &mut dyn RngCore, n: u32) -> u32 {
    assert!(n > 0, "a choice needs at least one partition");
    let reject_below = n.wrapping_neg() % n;
    loop {
        let x = rng.next_u32();
        if x >= reject_below {
            return x % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn all(n: u32) -> Vec<u32> {
        (0..n).collect()
    }

    #[test]
    fn keyed_records_ignore_the_rng_and_availability() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut p = Partitioner::new(PartitionerKind::JavaBuiltIn, 16_384);
        assert_eq!(p.partition(Some(b"foobar"), 10, 2, &[1], &mut rng), 0);
        let mut p = Partitioner::new(PartitionerKind::SaramaConsistentCrc, 0);
        assert_eq!(p.partition(Some(b"SheetJS"), 10, 100, &[], &mut rng), 26);
    }

    #[test]
    fn java_sticky_stays_until_batch_size_then_moves_among_available() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut p = Partitioner::new(PartitionerKind::JavaBuiltIn, 100);
        let available = [0, 2, 3];
        let first = p.partition(None, 30, 4, &available, &mut rng);
        assert!(available.contains(&first));
        assert_eq!(p.partition(None, 30, 4, &available, &mut rng), first);
        assert_eq!(p.partition(None, 40, 4, &available, &mut rng), first, "100 bytes reached on this record");
        let mut seen = Vec::new();
        for _ in 0..200 {
            let partition = p.partition(None, 100, 4, &available, &mut rng);
            assert!(available.contains(&partition), "never the leaderless partition 1");
            seen.push(partition);
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, vec![0, 2, 3]);
    }

    #[test]
    fn same_seed_same_choices() {
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut p = Partitioner::new(PartitionerKind::SaramaHash, 0);
            (0..50).map(|_| p.partition(None, 1, 12, &all(12), &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn round_robins() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut java = Partitioner::new(PartitionerKind::JavaRoundRobin, 0);
        let seq: Vec<u32> = (0..4).map(|_| java.partition(Some(b"k"), 1, 4, &[0, 2, 3], &mut rng)).collect();
        assert_eq!(seq, vec![0, 2, 3, 0]);
        let mut sarama = Partitioner::new(PartitionerKind::SaramaRoundRobin, 0);
        let seq: Vec<u32> = (0..4).map(|_| sarama.partition(None, 1, 4, &[1, 3], &mut rng)).collect();
        assert_eq!(seq, vec![1, 3, 1, 3]);
        let mut kafka_go = Partitioner::new(PartitionerKind::KafkaGoRoundRobin, 0);
        let seq: Vec<u32> = (0..4).map(|_| kafka_go.partition(None, 1, 3, &[1], &mut rng)).collect();
        assert_eq!(seq, vec![0, 1, 2, 0], "kafka-go's Writer passes all partitions");
    }

    #[test]
    fn kafka_go_hash_nil_key_round_robins_and_empty_key_hashes() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut p = Partitioner::new(PartitionerKind::KafkaGoHash, 0);
        let seq: Vec<u32> = (0..3).map(|_| p.partition(None, 1, 3, &[], &mut rng)).collect();
        assert_eq!(seq, vec![0, 1, 2]);
        let empty = p.partition(Some(b""), 1, 3, &[], &mut rng);
        assert_eq!(empty, kafka_go::hash_index(hash::Hasher32::Fnv1a, b"", 3));
    }

    #[test]
    fn least_bytes_counts_record_bytes() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut p = Partitioner::new(PartitionerKind::KafkaGoLeastBytes, 0);
        let seq: Vec<u32> = [5, 1, 1, 1].iter().map(|&b| p.partition(None, b, 2, &[], &mut rng)).collect();
        assert_eq!(seq, vec![0, 1, 1, 1]);
    }

    #[test]
    fn uniform_below_stays_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        assert!((0..1000).all(|_| uniform_below(&mut rng, 7) < 7));
        assert_eq!(uniform_below(&mut rng, 1), 0);
    }
}
