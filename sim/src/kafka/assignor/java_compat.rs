//! The few pieces of Java semantics that Kafka's assignors leak into their results.
//!
//! - String order: Kafka sorts member ids and topic names with `String.compareTo`, which compares UTF-16 code
//!   units. Rust's `str` order compares UTF-8 bytes (code points); the two differ only between U+E000..U+FFFF
//!   and supplementary characters. [`java_cmp`] is `String.compareTo`.
//! - `HashMap`/`HashSet` iteration order: the sticky assignor iterates Java hash maps in a few places where the
//!   order decides the result (which over-owning members keep `maxQuota` partitions, which partition a
//!   repeated movement is rewritten to). [`JavaHashTable`] replays the table of a `java.util.HashMap` built by
//!   a sequence of inserts and removals, so the iteration order is Java's: by bucket index
//!   `(h ^ (h >>> 16)) & (capacity - 1)`, and within a bucket by insertion order (JDK 8+ `HashMap.putVal`,
//!   `resize` keeps the relative order when it splits a bucket).
//!
//! Known limit: a bucket that grows past 8 entries in a table of 64 buckets or more is turned into a red-black
//! tree by Java (`HashMap.treeifyBin`), whose iteration order is not the insertion order. We keep insertion
//! order there. It needs 9 keys whose spread hashes agree in their low 6+ bits, which the member ids and
//! partitions of real groups practically never produce.

use crate::engine::sort;
use crate::engine::vec_map::VecMap;
use std::cmp::Ordering;

/// `String.compareTo`: lexicographic over UTF-16 code units, then shorter first.
///
/// UTF-8 byte order equals UTF-16 order except when the first differing characters are one in
/// U+E000..=U+FFFF (lead byte 0xEE/0xEF) and one supplementary (lead byte 0xF0..=0xF4): UTF-16 encodes the
/// supplementary one with a surrogate (0xD800..0xDBFF), which sorts first. A continuation byte can only be
/// the first difference when the lead bytes agree, and then byte order is right.
pub fn java_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match a.iter().zip(b).find(|(x, y)| x != y) {
        None => a.len().cmp(&b.len()),
        Some((&x, &y)) => {
            let high_bmp = |c: u8| (0xEE..=0xEF).contains(&c);
            let supplementary = |c: u8| c >= 0xF0;
            if high_bmp(x) && supplementary(y) {
                Ordering::Greater
            } else if supplementary(x) && high_bmp(y) {
                Ordering::Less
            } else {
                x.cmp(&y)
            }
        }
    }
}

/// `String.hashCode()`: `h = 31 * h + c` over the UTF-16 code units, wrapping.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `TopicPartition.hashCode()` (`clients/.../common/TopicPartition.java`): `31 * (31 + partition) + topic hash`.
pub fn topic_partition_hash(topic_hash: i32, partition: i32) -> i32 {
    31i32.wrapping_add(partition).wrapping_mul(31).wrapping_add(topic_hash)
}

/// `HashMap.hash(key)`: the key's hash code with its high half folded into the low half.
pub fn spread(hash: i32) -> u32 {
    let h = hash as u32;
    h ^ (h >> 16)
}

/// The table size of a `new HashMap<>()` after `n` insertions of distinct keys without bucket overflow:
/// 16, doubled whenever the size exceeds three quarters of the table (`HashMap.putVal` / `resize`).
pub fn default_capacity(n: usize) -> usize {
    let mut capacity = 16;
    while n > capacity / 4 * 3 {
        capacity *= 2;
    }
    capacity
}

/// Java's `TREEIFY_THRESHOLD`: a bucket that reaches this many entries before an insert is converted.
const TREEIFY_THRESHOLD: usize = 8;
/// Java's `MIN_TREEIFY_CAPACITY`: below this table size, an overfull bucket doubles the table instead.
const MIN_TREEIFY_CAPACITY: usize = 64;

/// Where an entry of a [`JavaHashTable`] sits: its spread hash, and its place in its bucket's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    spread: u32,
    /// Increasing for entries appended to their bucket (`put`), decreasing for entries pushed in front of it
    /// (`computeIfAbsent`), so that sorting by it gives the bucket's list order.
    place: i64,
}

/// The shape of a `java.util.HashMap` (default constructor, load factor 0.75) under a sequence of operations,
/// enough to give its iteration order. Keys are the caller's `u32` handles; the caller provides each key's Java
/// `hashCode()`.
#[derive(Debug, Clone)]
pub struct JavaHashTable {
    capacity: usize,
    entries: VecMap<u32, Slot>,
    /// Entries per bucket at the current capacity.
    bucket_sizes: Vec<u32>,
    next_seq: i64,
}

impl Default for JavaHashTable {
    fn default() -> Self {
        Self::new()
    }
}

impl JavaHashTable {
    /// An empty `new HashMap<>()`: the table is allocated with 16 buckets at the first insert.
    pub fn new() -> Self {
        Self { capacity: 16, entries: VecMap::new(), bucket_sizes: vec![0; 16], next_seq: 1 }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn bucket(&self, spread: u32) -> usize {
        spread as usize & (self.capacity - 1)
    }

    /// `resize()`: doubles the table; a bucket splits in two, each keeping its entries' relative order.
    fn grow(&mut self) {
        self.capacity *= 2;
        self.bucket_sizes = vec![0; self.capacity];
        for slot in self.entries.values() {
            self.bucket_sizes[slot.spread as usize & (self.capacity - 1)] += 1;
        }
    }

    fn add(&mut self, key: u32, spread: u32, place: i64) -> usize {
        let bucket = self.bucket(spread);
        let before = self.bucket_sizes[bucket] as usize;
        self.bucket_sizes[bucket] += 1;
        self.entries.insert(key, Slot { spread, place });
        self.next_seq += 1;
        before
    }

    /// `put(key, …)` (`HashMap.putVal`): a new key goes to the end of its bucket's list; if the bucket already
    /// held 8 entries and the table is smaller than 64 buckets, the table doubles (`treeifyBin`); then it
    /// doubles again if the size exceeds the threshold. A present key keeps its place.
    pub fn insert(&mut self, key: u32, hash: i32) {
        if self.entries.contains_key(&key) {
            return;
        }
        let in_bucket = self.add(key, spread(hash), self.next_seq);
        if in_bucket >= TREEIFY_THRESHOLD && self.capacity < MIN_TREEIFY_CAPACITY {
            self.grow();
        }
        if self.entries.len() > self.capacity / 4 * 3 {
            self.grow();
        }
    }

    /// `computeIfAbsent(key, …)`, which differs from `put` twice: the table grows lazily, at the start of the
    /// next call, once the size exceeds the threshold; and a new key goes to the front of its bucket's list
    /// (`tab[i] = newNode(hash, key, v, first)`), with `treeifyBin` from 7 entries already there.
    pub fn compute_if_absent(&mut self, key: u32, hash: i32) {
        if self.entries.len() > self.capacity / 4 * 3 {
            self.grow();
        }
        if self.entries.contains_key(&key) {
            return;
        }
        let in_bucket = self.add(key, spread(hash), -self.next_seq);
        if in_bucket >= TREEIFY_THRESHOLD - 1 && self.capacity < MIN_TREEIFY_CAPACITY {
            self.grow();
        }
    }

    /// `remove(key)`. The table never shrinks, as in Java.
    pub fn remove(&mut self, key: u32) -> bool {
        match self.entries.remove(&key) {
            Some(slot) => {
                let bucket = self.bucket(slot.spread);
                self.bucket_sizes[bucket] -= 1;
                true
            }
            None => false,
        }
    }

    /// The first key an iterator returns (`iterator().next()`), if any.
    pub fn first(&self) -> Option<u32> {
        self.entries.iter().min_by_key(|(_, s)| (self.bucket(s.spread), s.place)).map(|(&k, _)| k)
    }

    /// All keys in iteration order.
    pub fn iteration_order(&self) -> Vec<u32> {
        let mut keys: Vec<(usize, i64, u32)> =
            self.entries.iter().map(|(&k, s)| (self.bucket(s.spread), s.place, k)).collect();
        sort::sort(&mut keys);
        keys.into_iter().map(|(_, _, k)| k).collect()
    }
}

/// The iteration order of a `new HashMap<>()` into which keys with these hash codes were put in this order
/// (no removals): the positions of `hashes`, reordered. Linear in the number of keys per bucket count, so it
/// also suits maps of thousands of members.
pub fn hash_map_order(hashes: &[i32]) -> Vec<u32> {
    let mut capacity = 16usize;
    let mut bucket_sizes = vec![0usize; capacity];
    for (n, &hash) in hashes.iter().enumerate() {
        let bucket = (spread(hash) as usize) & (capacity - 1);
        let overfull = bucket_sizes[bucket] >= TREEIFY_THRESHOLD && capacity < MIN_TREEIFY_CAPACITY;
        let grow = |capacity: usize| if overfull { capacity * 2 } else { capacity };
        let mut new_capacity = grow(capacity);
        if n + 1 > new_capacity / 4 * 3 {
            new_capacity *= 2;
        }
        if new_capacity != capacity {
            capacity = new_capacity;
            bucket_sizes = vec![0; capacity];
            for &h in &hashes[..=n] {
                bucket_sizes[(spread(h) as usize) & (capacity - 1)] += 1;
            }
        } else {
            bucket_sizes[bucket] += 1;
        }
    }
    let mask = capacity - 1;
    let mut order: Vec<u32> = (0..hashes.len() as u32).collect();
    sort::sort_u32_by_key(&mut order, |i| ((spread(hashes[i as usize]) as usize) & mask, i));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_cmp_is_utf16_order() {
        assert_eq!(java_cmp("consumer10", "consumer2"), Ordering::Less);
        assert_eq!(java_cmp("a", "ab"), Ordering::Less);
        // U+FF21 (fullwidth A) sorts after U+1F600 in UTF-16 (0xD83D surrogate) but before it in UTF-8.
        assert_eq!(java_cmp("\u{FF21}", "\u{1F600}"), Ordering::Greater);
        assert_eq!(java_cmp("\u{1F600}", "\u{FF21}"), Ordering::Less);
        assert_eq!(java_cmp("\u{E000}x", "\u{E000}y"), Ordering::Less);
    }

    #[test]
    fn hashes_match_java() {
        // Values printed by Java: "consumer1".hashCode(), "topic".hashCode(), new TopicPartition("t", 3).
        assert_eq!(string_hash("consumer1"), -421_004_549);
        assert_eq!(string_hash("topic"), 110_546_223);
        assert_eq!(topic_partition_hash(string_hash("t"), 3), 31 * (31 + 3) + 116);
        assert_eq!(string_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn default_capacity_grows_past_three_quarters() {
        assert_eq!(default_capacity(0), 16);
        assert_eq!(default_capacity(12), 16);
        assert_eq!(default_capacity(13), 32);
        assert_eq!(default_capacity(1000), 2048);
    }

    #[test]
    fn hash_map_order_is_bucket_then_insertion() {
        // "b" (98) and "a" (97) land in buckets 2 and 1; "q" (113) also lands in bucket 1, after "a".
        let keys = ["b", "q", "a"];
        let hashes: Vec<i32> = keys.iter().map(|k| string_hash(k)).collect();
        assert_eq!(hash_map_order(&hashes), vec![1, 2, 0]);
        let mut table = JavaHashTable::new();
        for (i, h) in hashes.iter().enumerate() {
            table.insert(i as u32, *h);
        }
        assert_eq!(table.iteration_order(), vec![1, 2, 0]);
        assert_eq!(table.first(), Some(1));
        table.remove(1);
        assert_eq!(table.first(), Some(2));
    }

    #[test]
    fn compute_if_absent_puts_new_keys_in_front() {
        // Java: groupPartitionsByTopic([topic1-3, topic-2, zz-0]) iterates {zz, topic1, topic}: "zz" and
        // "topic1" share bucket 0 and computeIfAbsent puts the later one first; put would keep topic1 first.
        let keys = ["topic1", "topic", "zz"];
        let mut table = JavaHashTable::new();
        for (i, k) in keys.iter().enumerate() {
            table.compute_if_absent(i as u32, string_hash(k));
        }
        assert_eq!(table.iteration_order(), vec![2, 0, 1]);
        let hashes: Vec<i32> = keys.iter().map(|k| string_hash(k)).collect();
        assert_eq!(hash_map_order(&hashes), vec![0, 2, 1]);
    }

    #[test]
    fn overfull_small_table_doubles() {
        // Nine keys in bucket 0 of a 16-bucket table: the ninth insert doubles the table (treeifyBin).
        let hashes: Vec<i32> = (0..9).map(|i| i * 16).collect();
        let order = hash_map_order(&hashes);
        // With 32 buckets, multiples of 32 (0, 32, 64, 96, 128) come before the others (bucket 16).
        assert_eq!(order, vec![0, 2, 4, 6, 8, 1, 3, 5, 7]);
        let mut table = JavaHashTable::new();
        for (i, h) in hashes.iter().enumerate() {
            table.insert(i as u32, *h);
        }
        assert_eq!(table.iteration_order(), order);
    }
}
