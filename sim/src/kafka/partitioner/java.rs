//! The Java client's partitioners (apache/kafka `clients/`): the built-in partitioner of KIP-794 (murmur2 for
//! keyed records, sticky for keyless ones, uniform or adaptive) and `RoundRobinPartitioner`.
//!
//! Partition ids are `u32`: Java's are non-negative `int`s. A partition list ("available partitions") is
//! given in the order `Cluster.availablePartitionsForTopic` would return it.

use super::hash::{murmur2, to_positive};

/// `BuiltInPartitioner.partitionForKey(serializedKey, numPartitions)`: `toPositive(murmur2(key)) % n`.
///
/// `KafkaProducer.partition()` passes the count of **all** partitions of the topic, led or not, so a key's
/// partition never moves while a leader is missing.
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    assert!(num_partitions > 0, "a topic has at least one partition");
    to_positive(murmur2(key)) as u32 % num_partitions
}

/// `BuiltInPartitioner.nextPartition` without load stats: the uniform sticky choice.
///
/// `random` is `Utils.toPositive(ThreadLocalRandom.current().nextInt())` (non-negative). Picks
/// `available[random % available.len()]`, or `random % num_partitions` when no partition has a leader.
pub fn next_partition_uniform(random: i32, available: &[u32], num_partitions: u32) -> u32 {
    assert!(random >= 0, "BuiltInPartitioner.randomPartition() is toPositive(nextInt())");
    let random = random as u32;
    if available.is_empty() {
        assert!(num_partitions > 0, "a topic has at least one partition");
        random % num_partitions
    } else {
        available[(random % available.len() as u32) as usize]
    }
}

/// `BuiltInPartitioner.PartitionLoadStats`: the cumulative frequency table (CFT) of KIP-794 adaptive
/// partitioning and the partition id of each entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLoadStats {
    /// `cft[i] = (max_queue_size + 1 - queue_sizes[i]) + cft[i - 1]`: strictly increasing.
    pub cumulative_frequency_table: Vec<i32>,
    /// The partition of each CFT entry.
    pub partition_ids: Vec<u32>,
}

/// `BuiltInPartitioner.updatePartitionLoadStats(queueSizes, partitionIds, length)`.
///
/// `queue_sizes` and `partition_ids` cover the partitions with a leader (`RecordAccumulator` leaves out the
/// others); `length` is how many of them survive the `partitioner.availability.timeout.ms` cut (the cut ones
/// are moved past `length`). Returns `None` when Kafka turns adaptive partitioning off for this round: fewer
/// than 1 usable entry, fewer than 2 partitions, or all queue sizes equal with nothing cut.
pub fn partition_load_stats(
    queue_sizes: &[i32],
    partition_ids: &[u32],
    length: usize,
) -> Option<PartitionLoadStats> {
    assert_eq!(queue_sizes.len(), partition_ids.len(), "one queue size per partition id");
    assert!(length <= queue_sizes.len(), "length is a logical length of the arrays");
    if length < 1 || queue_sizes.len() < 2 {
        return None;
    }
    let used = &queue_sizes[..length];
    let max_size_plus1 = used.iter().copied().max().unwrap_or(0) + 1;
    let all_equal = used.iter().all(|&q| q == used[0]);
    if all_equal && length == queue_sizes.len() {
        return None;
    }
    // BuiltInPartitioner.java: "Invert and fold the queue size, so that they become separator values in the
    // CFT."
    let mut running = 0;
    let cumulative_frequency_table = used
        .iter()
        .map(|&q| {
            running += max_size_plus1 - q;
            running
        })
        .collect();
    Some(PartitionLoadStats { cumulative_frequency_table, partition_ids: partition_ids[..length].to_vec() })
}

/// `BuiltInPartitioner.nextPartition` with load stats: the partition of the first CFT entry strictly greater
/// than `random % cft[last]`, so a shorter queue is proportionally more likely.
pub fn next_partition_adaptive(random: i32, stats: &PartitionLoadStats) -> u32 {
    assert!(random >= 0, "BuiltInPartitioner.randomPartition() is toPositive(nextInt())");
    let cft = &stats.cumulative_frequency_table;
    let weighted_random = random % cft[cft.len() - 1];
    // Java takes `abs(binarySearch(...) + 1)`; the CFT is strictly increasing, so that is exactly the
    // number of entries `<= weighted_random`.
    let index = cft.partition_point(|&c| c <= weighted_random);
    stats.partition_ids[index]
}

/// The built-in partitioner's sticky state for keyless records of one topic (`BuiltInPartitioner`,
/// KIP-794): the current partition and the bytes produced to it since the last switch.
///
/// `BuiltInPartitioner.updatePartitionInfo` switches once `producedBytes >= batch.size && enableSwitch` (or
/// `>= 2 * batch.size`), where `enableSwitch` means every batch in the partition's queue is full. The
/// simulator does not model the accumulator's deque, so this port switches as soon as `batch.size` bytes
/// have been produced to the sticky partition, as if the batch were always full at that point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickyPartitioner {
    sticky_batch_size: u32,
    current: Option<u32>,
    produced_bytes: u64,
}

impl StickyPartitioner {
    /// `new BuiltInPartitioner(logContext, topic, batch.size)`. Kafka rejects a batch size below 1; this
    /// port treats it as 1 (switch after every record) rather than failing.
    pub fn new(batch_size: u32) -> Self {
        Self { sticky_batch_size: batch_size.max(1), current: None, produced_bytes: 0 }
    }

    /// Places one keyless record of `appended_bytes` bytes, as `RecordAccumulator.append` does: peek the
    /// sticky partition (choosing one if there is none yet), append, then update the byte count and switch
    /// to a new partition once `batch.size` bytes have gone to this one.
    ///
    /// `random` is called once per choice and must return `toPositive(nextInt())` (non-negative); a choice
    /// is uniform over `available`, or over all partitions when none is available.
    pub fn partition(
        &mut self,
        appended_bytes: u32,
        available: &[u32],
        num_partitions: u32,
        mut random: impl FnMut() -> i32,
    ) -> u32 {
        let partition = match self.current {
            // Partition counts only grow in Kafka; the guard keeps a stale choice from escaping the topic.
            Some(partition) if partition < num_partitions => partition,
            _ => self.switch(next_partition_uniform(random(), available, num_partitions)),
        };
        self.produced_bytes += u64::from(appended_bytes);
        if self.produced_bytes >= u64::from(self.sticky_batch_size) {
            // updatePartitionInfo: "We've produced enough to this partition, switch to next."
            self.switch(next_partition_uniform(random(), available, num_partitions));
        }
        partition
    }

    fn switch(&mut self, partition: u32) -> u32 {
        self.current = Some(partition);
        self.produced_bytes = 0;
        partition
    }

    /// The current sticky partition, if one has been chosen.
    pub fn current(&self) -> Option<u32> {
        self.current
    }
}

/// `org.apache.kafka.clients.producer.RoundRobinPartitioner`: one counter per topic, starting at 0, over the
/// available partitions (all partitions when none is available). Keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundRobinPartitioner {
    counter: i32,
}

impl RoundRobinPartitioner {
    /// A fresh counter (`new AtomicInteger(0)`).
    pub fn new() -> Self {
        Self::default()
    }

    /// `partition(topic, ...)`: `available[toPositive(counter++) % available.size()]`.
    pub fn partition(&mut self, available: &[u32], num_partitions: u32) -> u32 {
        // AtomicInteger.getAndIncrement wraps at Integer.MAX_VALUE; toPositive keeps the index non-negative.
        let next_value = self.counter;
        self.counter = self.counter.wrapping_add(1);
        let positive = to_positive(next_value) as u32;
        if available.is_empty() {
            assert!(num_partitions > 0, "a topic has at least one partition");
            positive % num_partitions
        } else {
            available[(positive % available.len() as u32) as usize]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_partition_uses_all_partitions() {
        assert_eq!(partition_for_key(b"21", 1), 0);
        assert_eq!(partition_for_key(b"foobar", 2), 0);
    }

    #[test]
    fn load_stats_example_from_kip_794() {
        let stats = partition_load_stats(&[5, 0, 3, 0, 1], &[0, 1, 2, 3, 4], 5).expect("adaptive");
        assert_eq!(stats.cumulative_frequency_table, vec![1, 7, 10, 16, 21]);
        assert_eq!(next_partition_adaptive(0, &stats), 0);
        assert_eq!(next_partition_adaptive(1, &stats), 1);
        assert_eq!(next_partition_adaptive(7, &stats), 2);
        assert_eq!(next_partition_adaptive(21, &stats), 0);
    }

    #[test]
    fn equal_queues_turn_adaptive_off() {
        assert_eq!(partition_load_stats(&[4, 4, 4], &[0, 1, 2], 3), None);
        assert!(partition_load_stats(&[4, 4, 4], &[0, 1, 2], 2).is_some());
        assert_eq!(partition_load_stats(&[4], &[0], 1), None);
    }

    #[test]
    fn sticky_switches_after_batch_size_bytes() {
        let mut sticky = StickyPartitioner::new(100);
        let mut randoms = [2, 3, 5].into_iter();
        let mut next = || randoms.next().expect("scripted random");
        assert_eq!(sticky.partition(60, &[0, 1, 2, 3], 4, &mut next), 2);
        assert_eq!(
            sticky.partition(40, &[0, 1, 2, 3], 4, &mut next),
            2,
            "reaches batch.size: switches after"
        );
        assert_eq!(sticky.current(), Some(3));
        assert_eq!(sticky.partition(10, &[0, 1, 2, 3], 4, &mut next), 3);
    }

    #[test]
    fn round_robin_skips_unavailable_partitions() {
        let mut rr = RoundRobinPartitioner::new();
        let seq: Vec<u32> = (0..7).map(|_| rr.partition(&[0, 2, 3], 4)).collect();
        assert_eq!(seq, vec![0, 2, 3, 0, 2, 3, 0]);
    }
}
