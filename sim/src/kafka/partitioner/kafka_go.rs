//! kafka-go's balancers (segmentio/kafka-go `balancer.go`).
//!
//! `Balancer.Balance(msg, partitions...)` receives the partition list; kafka-go's `Writer` always passes all
//! partitions of the topic, `0..n-1`, led or not (`writer.go loadCachedPartitions`). Quirk: `Hash` and
//! `ReferenceHash` return the computed **index**, not `partitions[index]`; the other balancers index into the
//! list. Nothing differs while the list is `0..n-1`, as it always is under a `Writer`.
//!
//! The keyed functions return `None` where kafka-go does not use the key (nil key, or an empty key for the
//! non-consistent `CRC32Balancer`) and instead falls back to its random or round-robin choice.

use super::hash::{crc32_ieee, murmur2, Hasher32};

/// `Hash{Hasher: hasher}.Balance` for a non-nil key: `int32(sum) % int32(len)`, negated if negative (as
/// sarama's `NewHashPartitioner`). Returns the index itself, not `partitions[index]`.
pub fn hash(hasher: Hasher32, key: &[u8], partitions: &[u32]) -> u32 {
    hash_index(hasher, key, len_u32(partitions))
}

/// [`hash`] over `num_partitions` partitions.
pub fn hash_index(hasher: Hasher32, key: &[u8], num_partitions: u32) -> u32 {
    ((hasher.sum32(key) as i32) % go_int32(num_partitions)).unsigned_abs()
}

/// `ReferenceHash{Hasher: hasher}.Balance` for a non-nil key: `(int32(sum) & 0x7fffffff) % int32(len)` (as
/// sarama's `NewReferenceHashPartitioner`). Returns the index itself, not `partitions[index]`.
pub fn reference_hash(hasher: Hasher32, key: &[u8], partitions: &[u32]) -> u32 {
    reference_hash_index(hasher, key, len_u32(partitions))
}

/// [`reference_hash`] over `num_partitions` partitions.
pub fn reference_hash_index(hasher: Hasher32, key: &[u8], num_partitions: u32) -> u32 {
    (((hasher.sum32(key) as i32) & 0x7fff_ffff) % go_int32(num_partitions)) as u32
}

/// `CRC32Balancer{Consistent}.Balance`: `partitions[crc32(key) % uint32(len)]`. The non-consistent balancer
/// (librdkafka `consistent_random`) treats nil **and empty** keys as unset and picks at random (`None`); the
/// consistent one (librdkafka `consistent`) hashes them (`crc32("") = 0`).
pub fn crc32(consistent: bool, key: Option<&[u8]>, partitions: &[u32]) -> Option<u32> {
    crc32_index(consistent, key, len_u32(partitions)).map(|i| partitions[i as usize])
}

/// The index [`crc32`] picks among `num_partitions` partitions.
pub fn crc32_index(consistent: bool, key: Option<&[u8]>, num_partitions: u32) -> Option<u32> {
    // balancer.go: "the crc32 balancers in librdkafka don't differentiate between nil and empty keys".
    let key = key.unwrap_or_default();
    if key.is_empty() && !consistent {
        return None;
    }
    Some(crc32_ieee(key) % nonzero(num_partitions))
}

/// `Murmur2Balancer{Consistent}.Balance`: `partitions[(murmur2(key) & 0x7fffffff) % uint32(len)]`. The
/// non-consistent balancer (librdkafka `murmur2_random`) picks a nil key at random (`None`) but hashes an
/// empty one; the consistent one (librdkafka `murmur2`) hashes nil as the empty key.
pub fn murmur2_balance(consistent: bool, key: Option<&[u8]>, partitions: &[u32]) -> Option<u32> {
    murmur2_index(consistent, key, len_u32(partitions)).map(|i| partitions[i as usize])
}

/// The index [`murmur2_balance`] picks among `num_partitions` partitions.
pub fn murmur2_index(consistent: bool, key: Option<&[u8]>, num_partitions: u32) -> Option<u32> {
    if key.is_none() && !consistent {
        return None;
    }
    Some((murmur2(key.unwrap_or_default()) as u32 & 0x7fff_ffff) % nonzero(num_partitions))
}

fn nonzero(num_partitions: u32) -> u32 {
    assert!(num_partitions > 0, "kafka-go balances over at least one partition");
    num_partitions
}

fn len_u32(partitions: &[u32]) -> u32 {
    nonzero(u32::try_from(partitions.len()).expect("Kafka partition counts fit in an int32"))
}

/// Go's `int32(len(partitions))`.
fn go_int32(num_partitions: u32) -> i32 {
    i32::try_from(nonzero(num_partitions)).expect("Kafka partition counts fit in an int32")
}

/// `&kafka.RoundRobin{ChunkSize}`: `partitions[(counter / ChunkSize) % len]`, with a `uint32` counter per
/// balancer and `ChunkSize < 1` treated as 1. kafka-go's `Writer` default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRobin {
    chunk_size: u32,
    counter: u32,
}

impl RoundRobin {
    /// `RoundRobin{ChunkSize: chunk_size}` (Go `int`; below 1 means 1).
    pub fn new(chunk_size: i64) -> Self {
        let chunk_size = u32::try_from(chunk_size.max(1)).unwrap_or(u32::MAX);
        Self { chunk_size, counter: 0 }
    }

    /// `RoundRobin.Balance`.
    pub fn balance(&mut self, partitions: &[u32]) -> u32 {
        partitions[self.next_index(len_u32(partitions)) as usize]
    }

    /// The index `Balance` picks among `num_partitions` partitions.
    pub fn next_index(&mut self, num_partitions: u32) -> u32 {
        // balancer.go: `offset := int(counterNow / uint32(rr.ChunkSize)); rr.counter++` (the uint32 wraps).
        let offset = self.counter / self.chunk_size;
        self.counter = self.counter.wrapping_add(1);
        offset % nonzero(num_partitions)
    }
}

impl Default for RoundRobin {
    fn default() -> Self {
        Self::new(0)
    }
}

/// `&kafka.LeastBytes{}`: sends each message to the partition that has received the fewest bytes
/// (`len(Key) + len(Value)`) from this balancer, lowest partition id first on ties. All counters restart at 0
/// whenever the number of partitions passed changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeastBytes {
    /// `(partition, bytes)`, sorted by partition id.
    counters: Vec<(u32, u64)>,
}

impl LeastBytes {
    /// A balancer that has sent nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// `LeastBytes.Balance`: `message_bytes` is `len(msg.Key) + len(msg.Value)`.
    pub fn balance(&mut self, message_bytes: u64, partitions: &[u32]) -> u32 {
        assert!(!partitions.is_empty(), "kafka-go balances over at least one partition");
        // balancer.go: "partitions change" is detected by the count only, and resets every counter.
        if partitions.len() != self.counters.len() {
            self.counters = partitions.iter().map(|&p| (p, 0)).collect();
            self.counters.sort_by_key(|&(p, _)| p);
        }
        self.add_to_least(message_bytes)
    }

    /// [`LeastBytes::balance`] over the partitions `0..num_partitions`, as kafka-go's `Writer` passes them.
    pub fn balance_all(&mut self, message_bytes: u64, num_partitions: u32) -> u32 {
        let n = nonzero(num_partitions) as usize;
        if n != self.counters.len() {
            self.counters = (0..num_partitions).map(|p| (p, 0)).collect();
        }
        self.add_to_least(message_bytes)
    }

    /// Adds the message to the first counter with the fewest bytes and returns its partition.
    fn add_to_least(&mut self, message_bytes: u64) -> u32 {
        let mut min_index = 0;
        for (i, &(_, bytes)) in self.counters.iter().enumerate().skip(1) {
            if bytes < self.counters[min_index].1 {
                min_index = i;
            }
        }
        let counter = &mut self.counters[min_index];
        counter.1 += message_bytes;
        counter.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_returns_the_index_not_the_partition() {
        let squares = [0, 1, 4, 9, 16, 25, 36];
        // FNV-1a("abc") = 440920331; 440920331 % 7 = 5, but partitions[5] would be 25.
        assert_eq!(hash(Hasher32::Fnv1a, b"abc", &squares), 5);
        assert_eq!(crc32(false, Some(b"abc"), &squares), Some(25));
    }

    #[test]
    fn nil_and_empty_keys() {
        let p = [0, 1, 2];
        assert_eq!(crc32(false, Some(b""), &p), None);
        assert_eq!(crc32(false, None, &p), None);
        assert_eq!(crc32(true, None, &p), Some(0));
        assert_eq!(murmur2_balance(false, None, &p), None);
        assert!(murmur2_balance(false, Some(b""), &p).is_some());
        assert_eq!(murmur2_balance(true, None, &p), murmur2_balance(true, Some(b""), &p));
    }

    #[test]
    fn round_robin_chunks() {
        let mut rr = RoundRobin::new(2);
        let seq: Vec<u32> = (0..7).map(|_| rr.balance(&[2, 5, 9])).collect();
        assert_eq!(seq, vec![2, 2, 5, 5, 9, 9, 2]);
    }

    #[test]
    fn least_bytes_resets_when_the_count_changes() {
        let mut lb = LeastBytes::new();
        assert_eq!(lb.balance(5, &[0, 1, 2]), 0);
        assert_eq!(lb.balance(5, &[0, 1, 2]), 1);
        assert_eq!(lb.balance(5, &[0, 1]), 0, "two partitions now: counters reset");
    }
}
