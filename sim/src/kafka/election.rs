//! How the controller picks a partition leader (KRaft `PartitionChangeBuilder`, without ELR):
//!
//! 1. keep the current leader if it is still an eligible ISR member;
//! 2. else the first replica, in assignment order, that is in the ISR and on an unfenced broker (clean);
//! 3. else, only when `unclean.leader.election.enable`, the first unfenced replica in assignment order, with the
//!    ISR reset to that one broker (unclean: records only the old ISR had are lost);
//! 4. else no leader (-1): the partition is offline and the ISR keeps its last member, so that broker can lead
//!    cleanly when it returns.

use super::metadata::{MetadataImage, PartitionMeta};
use super::types::BrokerId;
use crate::engine::trace::ElectionKind;

/// The controller's decision for one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Election {
    /// Keep the current leader.
    Unchanged,
    /// A new leader and the ISR that goes with it.
    Elect { leader: BrokerId, isr: Vec<BrokerId>, kind: ElectionKind },
    /// No eligible replica.
    Offline,
}

/// Whether `b` can lead: registered, unfenced, not shutting down, and not the broker being moved away from.
fn eligible(image: &MetadataImage, b: BrokerId, excluded: Option<BrokerId>) -> bool {
    Some(b) != excluded && image.is_broker_eligible(b)
}

/// Decides the leader of a partition. `excluded` is a broker leadership must move away from (fenced or in
/// controlled shutdown) even if the image does not say so yet.
pub fn elect_leader(
    meta: &PartitionMeta,
    image: &MetadataImage,
    unclean: bool,
    excluded: Option<BrokerId>,
) -> Election {
    if let Some(current) = meta.leader {
        if meta.isr.contains(&current) && eligible(image, current, excluded) {
            return Election::Unchanged;
        }
    }
    let isr: Vec<BrokerId> = meta.isr.iter().copied().filter(|b| Some(*b) != excluded).collect();
    if let Some(leader) =
        meta.replicas.iter().copied().find(|b| isr.contains(b) && eligible(image, *b, excluded))
    {
        let kind = if excluded.is_some_and(|e| image.brokers.get(&e).is_some_and(|m| m.shutting_down)) {
            ElectionKind::ControlledShutdown
        } else {
            ElectionKind::Clean
        };
        return Election::Elect { leader, isr, kind };
    }
    if unclean {
        if let Some(leader) = meta.replicas.iter().copied().find(|b| eligible(image, *b, excluded)) {
            return Election::Elect { leader, isr: vec![leader], kind: ElectionKind::Unclean };
        }
    }
    Election::Offline
}

/// Whether the preferred replica could take over (`auto.leader.rebalance.enable`, ElectLeaders PREFERRED).
pub fn preferred_election(meta: &PartitionMeta, image: &MetadataImage) -> Option<BrokerId> {
    let preferred = meta.preferred_leader();
    let movable = meta.leader != Some(preferred)
        && meta.isr.contains(&preferred)
        && image.is_broker_eligible(preferred);
    movable.then_some(preferred)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::metadata::BrokerMeta;

    fn image(live: &[i32]) -> MetadataImage {
        let mut img = MetadataImage::default();
        for b in 1..=3 {
            img.brokers.insert(
                BrokerId(b),
                BrokerMeta { id: BrokerId(b), rack: None, fenced: !live.contains(&b), shutting_down: false },
            );
        }
        img
    }

    fn meta(leader: Option<i32>, isr: &[i32]) -> PartitionMeta {
        PartitionMeta {
            replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
            isr: isr.iter().map(|b| BrokerId(*b)).collect(),
            leader: leader.map(BrokerId),
            leader_epoch: 0,
            partition_epoch: 0,
            recovering: false,
        }
    }

    #[test]
    fn first_live_isr_replica_in_assignment_order() {
        let e = elect_leader(&meta(Some(1), &[3, 2, 1]), &image(&[2, 3]), false, None);
        assert_eq!(
            e,
            Election::Elect {
                leader: BrokerId(2),
                isr: vec![BrokerId(3), BrokerId(2), BrokerId(1)],
                kind: ElectionKind::Clean
            }
        );
    }

    #[test]
    fn unclean_only_when_enabled_and_resets_isr() {
        let m = meta(Some(1), &[1]);
        assert_eq!(elect_leader(&m, &image(&[2, 3]), false, None), Election::Offline);
        assert_eq!(
            elect_leader(&m, &image(&[2, 3]), true, None),
            Election::Elect { leader: BrokerId(2), isr: vec![BrokerId(2)], kind: ElectionKind::Unclean }
        );
    }

    #[test]
    fn current_leader_is_kept_while_eligible() {
        assert_eq!(
            elect_leader(&meta(Some(3), &[1, 3]), &image(&[1, 2, 3]), false, None),
            Election::Unchanged
        );
    }

    #[test]
    fn preferred_needs_isr_membership() {
        assert_eq!(preferred_election(&meta(Some(2), &[2, 3]), &image(&[1, 2, 3])), None);
        assert_eq!(preferred_election(&meta(Some(2), &[1, 2]), &image(&[1, 2, 3])), Some(BrokerId(1)));
    }
}
