//! KRaft's replica placement: `StripedReplicaPlacer`
//! (`metadata/src/main/java/org/apache/kafka/metadata/placement/StripedReplicaPlacer.java`), the placer the
//! controller uses for new topics and partitions (`new StripedReplicaPlacer(new Random())`).
//!
//! Brokers are grouped by rack into unfenced and fenced lists, each sorted by id and started at a random
//! offset. Each partition's leader is the next unfenced broker from a rotating rack offset; followers take
//! one broker per rack in turn (preferring unfenced ones), so replicas stripe across racks. After as many
//! partitions as there are unfenced brokers, the rack and broker orders are reshuffled.
//!
//! Every draw goes through a [`JavaRandom`], so seeding it with Kafka's `MockRandom` reproduces Kafka's
//! tests exactly. The order of draws follows Java's `HashMap` iteration order over rack names, which this
//! port reproduces (see [`java_hash_map_order`]).

use super::PlacementError;
use crate::kafka::partitioner::java_random::{shuffle, JavaRandom};
use std::cmp::Ordering;

/// A broker as the controller's `ClusterDescriber.usableBrokers()` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsableBroker {
    /// `node.id`.
    pub id: i32,
    /// `broker.rack`, if configured.
    pub rack: Option<String>,
    /// Whether the broker is fenced (registered but not heartbeating); fenced brokers get replicas only when
    /// unfenced ones run out, and never lead.
    pub fenced: bool,
}

/// `StripedReplicaPlacer`: places all partitions of one request with a fresh [`RackList`], drawing from the
/// placer's random generator (which carries over between requests).
#[derive(Debug)]
pub struct StripedReplicaPlacer<R: JavaRandom> {
    random: R,
}

impl<R: JavaRandom> StripedReplicaPlacer<R> {
    /// `new StripedReplicaPlacer(random)`.
    pub fn new(random: R) -> Self {
        Self { random }
    }

    /// `place(placementSpec, cluster)`: one replica list (leader first) per partition.
    pub fn place(
        &mut self,
        brokers: &[UsableBroker],
        partitions: i32,
        replication_factor: i32,
    ) -> Result<Vec<Vec<i32>>, PlacementError> {
        let mut racks = RackList::new(&mut self.random, brokers);
        // StripedReplicaPlacer.place checks in this order: positive, some unfenced broker, enough brokers.
        check_positive(replication_factor)?;
        check_some_unfenced(racks.num_unfenced_brokers)?;
        check_enough_brokers(replication_factor, racks.num_total_brokers)?;
        (0..partitions.max(0)).map(|_| racks.place(replication_factor, &mut self.random)).collect()
    }
}

fn check_positive(replication_factor: i32) -> Result<(), PlacementError> {
    if replication_factor <= 0 {
        return Err(PlacementError::InvalidReplicationFactor { replication_factor, available_brokers: 0 });
    }
    Ok(())
}

fn check_some_unfenced(num_unfenced: usize) -> Result<(), PlacementError> {
    if num_unfenced == 0 {
        return Err(PlacementError::AllBrokersFenced);
    }
    Ok(())
}

fn check_enough_brokers(replication_factor: i32, num_total: usize) -> Result<(), PlacementError> {
    if replication_factor as usize > num_total {
        return Err(PlacementError::InvalidReplicationFactor {
            replication_factor,
            available_brokers: num_total,
        });
    }
    Ok(())
}

/// `StripedReplicaPlacer.BrokerList`: a rack's fenced or unfenced brokers, visited from a rotating offset;
/// each placement epoch visits every broker at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerList {
    brokers: Vec<i32>,
    index: usize,
    offset: usize,
    epoch: u64,
}

impl BrokerList {
    /// An empty list with offset 0 (as before `initialize`).
    pub fn new() -> Self {
        Self::default()
    }

    /// `add(broker)`.
    pub fn add(&mut self, broker: i32) {
        self.brokers.push(broker);
    }

    /// `initialize(random)`: sort by id and draw the starting offset (no draw for an empty list).
    pub fn initialize(&mut self, random: &mut dyn JavaRandom) {
        if !self.brokers.is_empty() {
            self.brokers.sort_unstable();
            self.offset = random.next_int_bounded(java_size(self.brokers.len())) as usize;
        }
    }

    /// `shuffle(random)`: `Collections.shuffle(brokers, random)`.
    pub fn shuffle(&mut self, random: &mut dyn JavaRandom) {
        shuffle(&mut self.brokers, random);
    }

    /// `next(epoch)`: the next broker of this epoch, or `None` once all were returned (Java's `-1`). A new
    /// epoch restarts the walk one position further along.
    pub fn next(&mut self, epoch: u64) -> Option<i32> {
        if self.brokers.is_empty() {
            return None;
        }
        if self.epoch != epoch {
            self.epoch = epoch;
            self.index = 0;
            self.offset = (self.offset + 1) % self.brokers.len();
        }
        if self.index >= self.brokers.len() {
            return None;
        }
        let broker = self.brokers[(self.index + self.offset) % self.brokers.len()];
        self.index += 1;
        Some(broker)
    }
}

/// `StripedReplicaPlacer.Rack`: one rack's fenced and unfenced brokers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rack {
    fenced: BrokerList,
    unfenced: BrokerList,
}

impl Rack {
    /// `Rack.next(epoch)`: unfenced brokers first, then fenced ones.
    fn next(&mut self, epoch: u64) -> Option<i32> {
        self.unfenced.next(epoch).or_else(|| self.fenced.next(epoch))
    }
}

/// `StripedReplicaPlacer.RackList`: the racks of one placement request and the rotating state shared by its
/// partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackList {
    /// The racks, in first-seen order (the `HashMap`'s insertion order).
    racks: Vec<(Option<String>, Rack)>,
    /// Indices into `racks` in Java `HashMap` iteration order: the order of `racks.values()` loops.
    hash_order: Vec<usize>,
    /// Indices into `racks` in `rackNames` order: sorted (no rack first), later reshuffled.
    rack_names: Vec<usize>,
    num_total_brokers: usize,
    num_unfenced_brokers: usize,
    epoch: u64,
    offset: usize,
}

impl RackList {
    /// `new RackList(random, usableBrokers)`: groups brokers by rack, initialises each rack's lists in
    /// `HashMap` order (fenced, then unfenced), sorts the rack names and draws the rack offset.
    pub fn new(random: &mut dyn JavaRandom, brokers: &[UsableBroker]) -> Self {
        let mut racks: Vec<(Option<String>, Rack)> = Vec::new();
        for broker in brokers {
            let index = match racks.iter().position(|(name, _)| *name == broker.rack) {
                Some(index) => index,
                None => {
                    racks.push((broker.rack.clone(), Rack::default()));
                    racks.len() - 1
                }
            };
            let rack = &mut racks[index].1;
            if broker.fenced {
                rack.fenced.add(broker.id)
            } else {
                rack.unfenced.add(broker.id)
            }
        }
        let names: Vec<Option<String>> = racks.iter().map(|(name, _)| name.clone()).collect();
        let hash_order = java_hash_map_order(&names);
        for &i in &hash_order {
            racks[i].1.fenced.initialize(random);
            racks[i].1.unfenced.initialize(random);
        }
        let mut rack_names: Vec<usize> = (0..racks.len()).collect();
        rack_names.sort_by(|&a, &b| compare_optional_strings(&racks[a].0, &racks[b].0));
        let offset = if rack_names.is_empty() {
            0
        } else {
            random.next_int_bounded(java_size(rack_names.len())) as usize
        };
        Self {
            num_total_brokers: brokers.len(),
            num_unfenced_brokers: brokers.iter().filter(|b| !b.fenced).count(),
            racks,
            hash_order,
            rack_names,
            epoch: 0,
            offset,
        }
    }

    /// The rack names in `rackNames` order.
    pub fn rack_names(&self) -> Vec<Option<String>> {
        self.rack_names.iter().map(|&i| self.racks[i].0.clone()).collect()
    }

    /// `RackList.place(replicationFactor)`: one partition's replicas, leader first.
    pub fn place(
        &mut self,
        replication_factor: i32,
        random: &mut dyn JavaRandom,
    ) -> Result<Vec<i32>, PlacementError> {
        check_positive(replication_factor)?;
        check_enough_brokers(replication_factor, self.num_total_brokers)?;
        check_some_unfenced(self.num_unfenced_brokers)?;
        // "If we have returned as many assignments as there are unfenced brokers in the cluster, shuffle the
        // rack list and broker lists", but never for a single unfenced broker (that would loop forever).
        if self.epoch == self.num_unfenced_brokers as u64 && self.num_unfenced_brokers > 1 {
            self.shuffle(random);
            self.epoch = 0;
        }
        if self.offset == self.rack_names.len() {
            self.offset = 0;
        }
        let (leader, leader_rack) = self.leader();
        let mut replicas = vec![leader];
        self.add_followers(&mut replicas, replication_factor as usize, leader_rack);
        self.epoch += 1;
        self.offset += 1;
        Ok(replicas)
    }

    /// The first unfenced broker found from rack `offset` onwards, and the position of its rack.
    fn leader(&mut self) -> (i32, usize) {
        let mut rack_index = self.offset;
        loop {
            let rack = &mut self.racks[self.rack_names[rack_index]].1;
            if let Some(broker) = rack.unfenced.next(self.epoch) {
                return (broker, rack_index);
            }
            rack_index = (rack_index + 1) % self.rack_names.len();
        }
    }

    /// Followers: racks round-robin from `offset`, skipping the leader's rack on the first pass only.
    fn add_followers(&mut self, replicas: &mut Vec<i32>, replication_factor: usize, leader_rack: usize) {
        let mut skip = Some(leader_rack);
        let mut rack_index = self.offset;
        while replicas.len() < replication_factor {
            let mut result = None;
            while result.is_none() {
                if skip == Some(rack_index) {
                    skip = None;
                } else {
                    result = self.racks[self.rack_names[rack_index]].1.next(self.epoch);
                }
                rack_index = (rack_index + 1) % self.rack_names.len();
            }
            replicas.extend(result);
        }
    }

    /// `RackList.shuffle()`: the rack names, then each rack's fenced and unfenced lists in `HashMap` order.
    fn shuffle(&mut self, random: &mut dyn JavaRandom) {
        shuffle(&mut self.rack_names, random);
        for &i in &self.hash_order {
            self.racks[i].1.fenced.shuffle(random);
            self.racks[i].1.unfenced.shuffle(random);
        }
    }
}

/// `OptionalStringComparator`: no rack first, then `String.compareTo` (UTF-16 code unit order).
fn compare_optional_strings(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.encode_utf16().cmp(b.encode_utf16()),
    }
}

/// A Java collection size as an `int` bound.
fn java_size(len: usize) -> i32 {
    i32::try_from(len).expect("a Java collection has at most Integer.MAX_VALUE elements")
}

/// The order in which a `java.util.HashMap<Optional<String>, _>` filled with `keys` (distinct, in insertion
/// order) iterates them, as indices into `keys`.
///
/// A `HashMap` iterates its buckets in index order, and each bucket in insertion order (new entries go to
/// the tail and resizes split buckets without reordering), so the order is a stable sort by bucket index at
/// the final capacity. `Optional.hashCode()` is 0 when empty, else `String.hashCode()`; the bucket is
/// `(h ^ (h >>> 16)) & (capacity - 1)`. The capacity starts at 16 and doubles when the size exceeds 3/4 of
/// it, or when a bucket grows past 8 entries while the capacity is below 64 (`treeifyBin`). Bins that do
/// turn into trees (more than 8 colliding rack names at capacity 64 or more) are not modelled.
pub fn java_hash_map_order(keys: &[Option<String>]) -> Vec<usize> {
    let spread: Vec<u32> = keys.iter().map(|k| java_spread(optional_hash_code(k))).collect();
    let mut capacity: u32 = 16;
    for size in 1..=keys.len() {
        let bucket_len = |cap: u32| {
            spread[..size].iter().filter(|&&h| h & (cap - 1) == spread[size - 1] & (cap - 1)).count()
        };
        if bucket_len(capacity) > 8 && capacity < 64 {
            capacity *= 2;
        }
        if size > (capacity as usize) * 3 / 4 {
            capacity *= 2;
        }
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| spread[i] & (capacity - 1));
    order
}

/// `Optional.hashCode()`: 0 for empty, else `String.hashCode()` (`s[0]*31^(n-1) + …` over UTF-16 units).
fn optional_hash_code(key: &Option<String>) -> i32 {
    key.as_deref().map_or(0, |s| {
        s.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
    })
}

/// `HashMap.hash(key)`: `h ^ (h >>> 16)`.
fn java_spread(hash_code: i32) -> u32 {
    let h = hash_code as u32;
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::partitioner::java_random::MockRandom;

    fn unfenced(ids: &[i32]) -> Vec<UsableBroker> {
        ids.iter().map(|&id| UsableBroker { id, rack: None, fenced: false }).collect()
    }

    #[test]
    fn successful_placement_from_kafkas_test() {
        // StripedReplicaPlacerTest.testSuccessfulPlacement: MockRandom(17), brokers 0, 3, 2, 1 without racks.
        let mut placer = StripedReplicaPlacer::new(MockRandom::default());
        let got = placer.place(&unfenced(&[0, 3, 2, 1]), 5, 3).expect("valid");
        assert_eq!(got, vec![vec![2, 3, 0], vec![3, 0, 1], vec![0, 1, 2], vec![1, 2, 3], vec![1, 0, 2]]);
    }

    #[test]
    fn broker_list_walk() {
        // StripedReplicaPlacerTest.testBrokerList.
        let mut list = BrokerList::new();
        for id in 0..4 {
            list.add(id);
        }
        let got: Vec<Option<i32>> = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1].iter().map(|&e| list.next(e)).collect();
        let want = [Some(0), Some(1), Some(2), Some(3), None, None, Some(1), Some(2), Some(3), Some(0), None];
        assert_eq!(got, want);
    }

    #[test]
    fn hash_map_order_of_small_string_keys() {
        // "a".hashCode() = 97 (bucket 1), "b" = 98 (bucket 2), Optional.empty = 0 (bucket 0).
        let keys = [Some("b".to_string()), None, Some("a".to_string())];
        assert_eq!(java_hash_map_order(&keys), vec![1, 2, 0]);
        assert_eq!(optional_hash_code(&Some("rack1".to_string())), 108_269_626);
    }

    #[test]
    fn errors_in_kafkas_order() {
        let mut placer = StripedReplicaPlacer::new(MockRandom::default());
        let fenced = vec![UsableBroker { id: 1, rack: None, fenced: true }];
        assert_eq!(placer.place(&fenced, 1, 1), Err(PlacementError::AllBrokersFenced));
        assert!(matches!(
            placer.place(&unfenced(&[1]), 1, 2),
            Err(PlacementError::InvalidReplicationFactor { .. })
        ));
    }
}
