//! Broker replica placement for a new topic: Kafka's `AdminUtils.assignReplicasToBrokers`
//! (`server-common/src/main/java/org/apache/kafka/admin/AdminUtils.java`, ported from the Scala
//! `kafka.admin.AdminUtils`), rack-unaware and rack-aware, exactly.
//!
//! Kafka's goals (from the Javadoc): spread replicas evenly over brokers; spread the followers of the
//! partitions led by one broker over the other brokers; and, when every broker has a rack, put each
//! partition's replicas on distinct racks where possible.
//!
//! The leader (first replica) of partition `p` is `brokers[(p + start_index) % n]`: leaders go round-robin
//! from a random start. Followers are shifted by `replica_shift`, which grows by one every `n` partitions so
//! that the second round does not repeat the first. Kafka draws `start_index` and `replica_shift` from an
//! unseeded `Random`; here they are arguments, so the caller draws them from the simulation's seeded stream.
//!
//! KRaft's controller places replicas differently, with [`striped::StripedReplicaPlacer`].

pub mod striped;

use crate::engine::sort;
use crate::engine::vec_map::{VecMap, VecSet};

/// A broker as placement sees it: its id and optional `broker.rack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerSpec {
    /// `broker.id` / `node.id`.
    pub id: i32,
    /// `broker.rack`, if configured.
    pub rack: Option<String>,
}

/// Why a placement cannot be made, named after the Kafka error it maps to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// Kafka `InvalidPartitionsException` (`INVALID_PARTITIONS`): the partition count is not positive.
    #[error("INVALID_PARTITIONS: number of partitions must be larger than 0, got {partitions}")]
    InvalidPartitions {
        /// The requested partition count.
        partitions: i32,
    },
    /// Kafka `InvalidReplicationFactorException` (`INVALID_REPLICATION_FACTOR`): the replication factor is
    /// not positive, or exceeds the number of brokers.
    #[error("INVALID_REPLICATION_FACTOR: {}", rf_problem(*replication_factor, *available_brokers))]
    InvalidReplicationFactor {
        /// The requested replication factor.
        replication_factor: i32,
        /// The brokers available for placement.
        available_brokers: usize,
    },
    /// Kafka `AdminOperationException`: some brokers have a rack and others do not.
    #[error(
        "not all brokers have rack information for replica rack aware assignment: brokers {without_rack:?} \
         have no rack; give every broker a rack, or none"
    )]
    MixedRacks {
        /// The ids of the brokers without a rack.
        without_rack: Vec<i32>,
    },
    /// KRaft `InvalidReplicationFactorException("All brokers are currently fenced.")`: no unfenced broker can
    /// lead (`StripedReplicaPlacer` only).
    #[error(
        "INVALID_REPLICATION_FACTOR: all brokers are currently fenced, so none can lead a new partition; \
         wait for a broker to register and heartbeat"
    )]
    AllBrokersFenced,
    /// The same broker id appears twice. Kafka's callers cannot produce this (brokers come from a registry
    /// keyed by id), so it is a malformed input rather than a Kafka error.
    #[error("broker id {id} is listed more than once; each broker must appear once")]
    DuplicateBrokerId {
        /// The repeated id.
        id: i32,
    },
}

fn rf_problem(replication_factor: i32, available_brokers: usize) -> String {
    if replication_factor <= 0 {
        format!("replication factor must be larger than 0, got {replication_factor}")
    } else {
        format!(
            "replication factor {replication_factor} larger than available brokers {available_brokers}; \
             lower the replication factor or add brokers"
        )
    }
}

/// `AdminUtils.assignReplicasToBrokers(brokers, partitions, replicationFactor, fixedStartIndex,
/// startPartitionId)`.
///
/// `start_index` and `replica_shift` are Kafka's two random draws (each in `0..brokers.len()`); pass the same
/// fixed value to both to reproduce AdminUtils' `fixedStartIndex`. Brokers are used **in the order given**
/// (callers usually sort them by id); when every broker has a rack the rack-alternated order is used instead.
///
/// Returns one replica list per partition, leader first. Element `i` is partition
/// `max(0, start_partition_id) + i` (a negative `start_partition_id` means 0, as in Kafka).
pub fn assign_replicas_to_brokers(
    brokers: &[BrokerSpec],
    partitions: i32,
    replication_factor: i32,
    start_index: usize,
    replica_shift: usize,
    start_partition_id: i32,
) -> Result<Vec<Vec<i32>>, PlacementError> {
    validate(brokers, partitions, replication_factor)?;
    let spec = Spec {
        partitions: partitions as usize,
        replication_factor: replication_factor as usize,
        start_index,
        replica_shift,
        first_partition_id: start_partition_id.max(0) as usize,
    };
    let without_rack: Vec<i32> = brokers.iter().filter(|b| b.rack.is_none()).map(|b| b.id).collect();
    if without_rack.len() == brokers.len() {
        let ids: Vec<i32> = brokers.iter().map(|b| b.id).collect();
        Ok(assign_rack_unaware(&ids, &spec))
    } else if without_rack.is_empty() {
        let racks: VecMap<i32, String> =
            VecMap::from_iter(brokers.iter().map(|b| (b.id, b.rack.clone().unwrap_or_default())));
        Ok(assign_rack_aware(&racks, &spec))
    } else {
        Err(PlacementError::MixedRacks { without_rack })
    }
}

/// AdminUtils' argument checks, in Kafka's order, plus the duplicate-id guard.
fn validate(brokers: &[BrokerSpec], partitions: i32, replication_factor: i32) -> Result<(), PlacementError> {
    if partitions <= 0 {
        return Err(PlacementError::InvalidPartitions { partitions });
    }
    let available_brokers = brokers.len();
    if replication_factor <= 0 || replication_factor as usize > available_brokers {
        return Err(PlacementError::InvalidReplicationFactor { replication_factor, available_brokers });
    }
    let mut seen = VecSet::new();
    match brokers.iter().find(|b| !seen.insert(b.id)) {
        Some(duplicate) => Err(PlacementError::DuplicateBrokerId { id: duplicate.id }),
        None => Ok(()),
    }
}

/// The validated inputs shared by both algorithms.
struct Spec {
    partitions: usize,
    replication_factor: usize,
    start_index: usize,
    replica_shift: usize,
    first_partition_id: usize,
}

impl Spec {
    /// `(partition id, first replica index, next replica shift)` for each partition to place, in order.
    /// AdminUtils: `if (currentPartitionId > 0 && currentPartitionId % n == 0) nextReplicaShift += 1`.
    fn partitions(&self, n: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut shift = self.replica_shift;
        (self.first_partition_id..self.first_partition_id + self.partitions).map(move |p| {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            ((p + self.start_index) % n, shift)
        })
    }
}

/// `assignReplicasToBrokersRackUnaware`: the leader round-robin, followers at `1 + (shift + j) % (n - 1)`
/// places after it.
fn assign_rack_unaware(broker_ids: &[i32], spec: &Spec) -> Vec<Vec<i32>> {
    let n = broker_ids.len();
    spec.partitions(n)
        .map(|(first, shift)| {
            let followers =
                (0..spec.replication_factor - 1).map(|j| broker_ids[replica_index(first, shift, j, n)]);
            std::iter::once(broker_ids[first]).chain(followers).collect()
        })
        .collect()
}

/// `assignReplicasToBrokersRackAware`: leaders round-robin over the rack-alternated list; each follower is
/// the next candidate (walking `replica_index` with the shift scaled by the rack count) that does not
/// repeat a rack while some rack has no replica, nor a broker while some broker has none.
fn assign_rack_aware(racks: &VecMap<i32, String>, spec: &Spec) -> Vec<Vec<i32>> {
    let arranged = rack_alternated_broker_list(racks);
    let num_racks = VecSet::from_iter(racks.values()).len();
    let n = arranged.len();
    spec.partitions(n)
        .map(|(first, shift)| {
            let leader = arranged[first];
            let mut replicas = vec![leader];
            let mut racks_with_replicas = VecSet::from([racks[&leader].as_str()]);
            let mut k = 0;
            while replicas.len() < spec.replication_factor {
                let broker = arranged[replica_index(first, shift * num_racks, k, n)];
                let rack = racks[&broker].as_str();
                // AdminUtils.java: skip a broker whose rack already has a replica while some rack has none,
                // or which already has a replica while some broker has none.
                let rack_ok = !racks_with_replicas.contains(rack) || racks_with_replicas.len() == num_racks;
                let broker_ok = !replicas.contains(&broker) || replicas.len() == n;
                if rack_ok && broker_ok {
                    replicas.push(broker);
                    racks_with_replicas.insert(rack);
                }
                k += 1;
            }
            replicas
        })
        .collect()
}

/// `AdminUtils.replicaIndex(firstReplicaIndex, secondReplicaShift, replicaIndex, nBrokers)`: the broker
/// index of follower `replica_index` (0-based), `(first + 1 + (shift + j) % (n - 1)) % n`. Never the
/// leader's index. Needs at least 2 brokers (Kafka divides by `n - 1`).
pub fn replica_index(
    first_replica_index: usize,
    second_replica_shift: usize,
    replica_index: usize,
    n_brokers: usize,
) -> usize {
    assert!(n_brokers > 1, "followers need at least two brokers");
    let shift = 1 + (second_replica_shift + replica_index) % (n_brokers - 1);
    (first_replica_index + shift) % n_brokers
}

/// `AdminUtils.getRackAlternatedBrokerList(brokerRackMap)`: racks in name order, brokers by id within a rack,
/// then one broker from each rack in turn. `{0:r1, 1:r3, 2:r3, 3:r2, 4:r2, 5:r1}` gives `[0, 3, 1, 5, 4, 2]`.
pub fn rack_alternated_broker_list(broker_racks: &VecMap<i32, String>) -> Vec<i32> {
    // getInverseMap: rack -> broker ids; iterating the VecMap by id keeps each list sorted by id.
    let mut by_rack: Vec<(&str, Vec<i32>)> = Vec::new();
    for (&id, rack) in broker_racks {
        match by_rack.iter_mut().find(|(r, _)| *r == rack.as_str()) {
            Some((_, ids)) => ids.push(id),
            None => by_rack.push((rack.as_str(), vec![id])),
        }
    }
    // Java's Arrays.sort on Strings compares UTF-16 code units, which differs from byte order for a few
    // non-ASCII names; compare the same way.
    sort::sort_by(&mut by_rack, |(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    let mut iterators: Vec<std::vec::IntoIter<i32>> =
        by_rack.into_iter().map(|(_, ids)| ids.into_iter()).collect();
    let mut result = Vec::with_capacity(broker_racks.len());
    let mut rack_index = 0;
    while result.len() < broker_racks.len() {
        if let Some(id) = iterators[rack_index].next() {
            result.push(id);
        }
        rack_index = (rack_index + 1) % iterators.len();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unracked(ids: &[i32]) -> Vec<BrokerSpec> {
        ids.iter().map(|&id| BrokerSpec { id, rack: None }).collect()
    }

    fn racked(pairs: &[(i32, &str)]) -> Vec<BrokerSpec> {
        pairs.iter().map(|&(id, rack)| BrokerSpec { id, rack: Some(rack.to_string()) }).collect()
    }

    #[test]
    fn javadoc_example_rack_unaware() {
        // AdminRackAwareTest.testReplicaAssignment: brokers 0..4, 10 partitions, rf 3, fixed start 0.
        let got = assign_replicas_to_brokers(&unracked(&[0, 1, 2, 3, 4]), 10, 3, 0, 0, -1).expect("valid");
        assert_eq!(got[0], vec![0, 1, 2]);
        assert_eq!(got[5], vec![0, 2, 3]);
        assert_eq!(got[9], vec![4, 1, 2]);
    }

    #[test]
    fn javadoc_example_rack_aware() {
        let brokers =
            racked(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1")]);
        let got = assign_replicas_to_brokers(&brokers, 7, 3, 0, 0, 0).expect("valid");
        assert_eq!(got[0], vec![0, 3, 1]);
        assert_eq!(got[5], vec![2, 0, 3]);
        assert_eq!(got[6], vec![0, 4, 2]);
    }

    #[test]
    fn errors_say_what_to_do() {
        let brokers = unracked(&[0, 1, 2]);
        let err = assign_replicas_to_brokers(&brokers, 3, 4, 0, 0, 0).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("INVALID_REPLICATION_FACTOR"), "{text}");
        assert!(text.contains("replication factor 4 larger than available brokers 3"), "{text}");
        let err = assign_replicas_to_brokers(&brokers, 0, 1, 0, 0, 0).unwrap_err();
        assert_eq!(err, PlacementError::InvalidPartitions { partitions: 0 });
        let mut mixed = racked(&[(0, "a"), (1, "b")]);
        mixed.push(BrokerSpec { id: 2, rack: None });
        let err = assign_replicas_to_brokers(&mixed, 1, 1, 0, 0, 0).unwrap_err();
        assert_eq!(err, PlacementError::MixedRacks { without_rack: vec![2] });
        let err = assign_replicas_to_brokers(&unracked(&[1, 1]), 1, 1, 0, 0, 0).unwrap_err();
        assert_eq!(err, PlacementError::DuplicateBrokerId { id: 1 });
    }

    #[test]
    fn single_broker() {
        assert_eq!(
            assign_replicas_to_brokers(&unracked(&[7]), 3, 1, 0, 0, 0),
            Ok(vec![vec![7], vec![7], vec![7]])
        );
        assert_eq!(
            assign_replicas_to_brokers(&racked(&[(7, "r")]), 2, 1, 0, 0, 0),
            Ok(vec![vec![7], vec![7]])
        );
    }
}
