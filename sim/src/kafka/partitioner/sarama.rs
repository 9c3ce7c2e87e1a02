//! sarama's partitioners (IBM/sarama `partitioner.go`, `murmur2.go`).
//!
//! A sarama `Partitioner.Partition(msg, numPartitions)` returns an **index** into the partition list the
//! producer passed: all partitions when the partitioner requires consistency for that message (a hash
//! partitioner with a non-nil key), otherwise only the writable ones (`async_producer.go partitionMessage`).
//! The functions here return that index; the caller maps it through its list.

use super::hash::{murmur2, Hasher32};

/// How sarama's `hashPartitioner` turns a 32-bit hash into an index (its `referenceAbs`/`hashUnsigned`
/// flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashReduction {
    /// The default: `int32(sum) % n`, negated if negative (Go's `%` truncates, so the sign is the hash's).
    Signed,
    /// `WithAbsFirst()` / `NewReferenceHashPartitioner`: `(int32(sum) & 0x7fffffff) % n`.
    AbsFirst,
    /// `WithHashUnsigned()` / `NewConsistentCRCHashPartitioner`: `int32(sum % uint32(n))`.
    Unsigned,
}

/// `hashPartitioner.Partition` for a non-nil key: `hasher` over the encoded key bytes, reduced modulo
/// `num_partitions`. (A nil key is sent to sarama's random partitioner instead.)
pub fn hash_partition(hasher: Hasher32, reduction: HashReduction, key: &[u8], num_partitions: u32) -> u32 {
    let n = go_int32(num_partitions);
    let sum = hasher.sum32(key);
    let partition = match reduction {
        // partitioner.go: `partition = int32(p.hasher.Sum32()) % numPartitions`, negated if negative.
        HashReduction::Signed => ((sum as i32) % n).abs(),
        HashReduction::AbsFirst => ((sum as i32) & 0x7fff_ffff) % n,
        HashReduction::Unsigned => (sum % n as u32) as i32,
    };
    partition as u32
}

/// `NewHashPartitioner` (sarama's default): FNV-1a, signed reduction.
pub fn hash(key: &[u8], num_partitions: u32) -> u32 {
    hash_partition(Hasher32::Fnv1a, HashReduction::Signed, key, num_partitions)
}

/// `NewReferenceHashPartitioner`: FNV-1a with Java's `& 0x7fffffff`. Still FNV-1a, **not** murmur2, so it
/// does not agree with the Java client.
pub fn reference_hash(key: &[u8], num_partitions: u32) -> u32 {
    hash_partition(Hasher32::Fnv1a, HashReduction::AbsFirst, key, num_partitions)
}

/// `NewConsistentCRCHashPartitioner`: unsigned CRC-32 IEEE modulo n, like librdkafka's `consistent_random`.
pub fn consistent_crc_hash(key: &[u8], num_partitions: u32) -> u32 {
    hash_partition(Hasher32::Crc32Ieee, HashReduction::Unsigned, key, num_partitions)
}

/// `NewCustomHashPartitioner(crc32.NewIEEE)`: CRC-32 IEEE with the default signed reduction.
pub fn custom_crc32_signed(key: &[u8], num_partitions: u32) -> u32 {
    hash_partition(Hasher32::Crc32Ieee, HashReduction::Signed, key, num_partitions)
}

/// `NewCustomPartitioner(WithAbsFirst(), WithCustomHashFunction(crc32.NewIEEE))`.
pub fn custom_absfirst_crc32(key: &[u8], num_partitions: u32) -> u32 {
    hash_partition(Hasher32::Crc32Ieee, HashReduction::AbsFirst, key, num_partitions)
}

/// `NewMurmur2Partitioner`: `int32(murmur2(key) & 0x7fffffff) % n`, the same as the Java client's keyed
/// partition. (New in sarama 2026, PR #3567; older releases have no Java-compatible partitioner.)
pub fn murmur2_partition(key: &[u8], num_partitions: u32) -> u32 {
    let n = go_int32(num_partitions);
    ((murmur2(key) & 0x7fff_ffff) % n) as u32
}

/// sarama's `numPartitions int32`. Kafka partition counts are Java ints, so anything larger is a caller bug.
fn go_int32(num_partitions: u32) -> i32 {
    assert!(num_partitions > 0, "sarama refuses to partition over zero partitions (ErrLeaderNotAvailable)");
    i32::try_from(num_partitions).expect("Kafka partition counts fit in an int32")
}

/// `NewRoundRobinPartitioner`: a counter per partitioner (one per topic) that restarts at 0 when it reaches
/// the partition count. Not `% n`: if the count shrinks below the counter, the next pick is 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundRobin {
    partition: i32,
}

impl RoundRobin {
    /// A fresh counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// `roundRobinPartitioner.Partition`: `if p >= n { p = 0 }; return p++` (an index).
    pub fn partition(&mut self, num_partitions: u32) -> u32 {
        let n = go_int32(num_partitions);
        if self.partition >= n {
            self.partition = 0;
        }
        let ret = self.partition;
        self.partition += 1;
        ret as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_int32_hash_differs_between_hash_and_reference_hash() {
        // FNV-1a("1468509572224") = 0x80000000; sarama TestHashPartitionerMinInt32.
        assert_eq!(hash(b"1468509572224", 50), 48);
        assert_eq!(reference_hash(b"1468509572224", 50), 0);
    }

    #[test]
    fn consistent_crc_is_unsigned() {
        // sarama TestConsistentCRCHashPartitioner: crc32("SheetJS") = 2647669026 -> 26 (signed would be 70).
        assert_eq!(consistent_crc_hash(b"SheetJS", 100), 26);
        assert_eq!(custom_crc32_signed(b"SheetJS", 100), 70);
    }

    #[test]
    fn round_robin_restarts_when_count_shrinks() {
        let mut rr = RoundRobin::new();
        let seq: Vec<u32> = [3, 3, 3, 2, 2].iter().map(|&n| rr.partition(n)).collect();
        assert_eq!(seq, vec![0, 1, 2, 0, 1]);
    }
}
