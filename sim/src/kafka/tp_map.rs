//! A map keyed by partition, stored densely: one slot per (topic id, partition index).
//!
//! Brokers look their replicas up several times for every partition of every fetch, and producers their queues
//! for every record; a `BTreeMap<Tp, _>` search costs a few dozen instructions each time, an index two bounds
//! checks. Topic ids are small (assigned in creation order) and partition indexes are dense, so the slots stay
//! few. Iteration goes by topic id, then partition index: the order of `Tp`, the order of the `BTreeMap` it
//! replaces, so that every loop over it (and every message it sends) runs in the same order as before.

use super::types::Tp;
use std::ops::Index;

/// A map from [`Tp`] to `V`, iterated in `Tp` order.
#[derive(Clone, Debug)]
pub struct TpMap<V> {
    /// `slots[topic][partition]`, holding the key beside the value so that iterators can lend `&Tp`.
    slots: Vec<Vec<Option<(Tp, V)>>>,
    len: usize,
}

impl<V> Default for TpMap<V> {
    fn default() -> Self {
        Self { slots: Vec::new(), len: 0 }
    }
}

impl<V> TpMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot(&self, tp: &Tp) -> Option<&Option<(Tp, V)>> {
        self.slots.get(tp.topic.0 as usize)?.get(tp.partition as usize)
    }

    /// The value for `tp`.
    pub fn get(&self, tp: &Tp) -> Option<&V> {
        self.slot(tp)?.as_ref().map(|(_, v)| v)
    }

    /// The value for `tp`, mutably.
    pub fn get_mut(&mut self, tp: &Tp) -> Option<&mut V> {
        let slot = self.slots.get_mut(tp.topic.0 as usize)?.get_mut(tp.partition as usize)?;
        slot.as_mut().map(|(_, v)| v)
    }

    /// Whether `tp` has a value.
    pub fn contains_key(&self, tp: &Tp) -> bool {
        self.get(tp).is_some()
    }

    fn slot_mut(&mut self, tp: Tp) -> &mut Option<(Tp, V)> {
        let (topic, partition) = (tp.topic.0 as usize, tp.partition as usize);
        if self.slots.len() <= topic {
            self.slots.resize_with(topic + 1, Vec::new);
        }
        let partitions = &mut self.slots[topic];
        if partitions.len() <= partition {
            partitions.resize_with(partition + 1, || None);
        }
        &mut partitions[partition]
    }

    /// Sets the value for `tp`; returns the one it replaces.
    pub fn insert(&mut self, tp: Tp, value: V) -> Option<V> {
        let old = self.slot_mut(tp).replace((tp, value)).map(|(_, v)| v);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// The value for `tp`, inserting `make()` first if there is none (`BTreeMap::entry(..).or_insert_with`).
    pub fn get_or_insert_with(&mut self, tp: Tp, make: impl FnOnce() -> V) -> &mut V {
        if !self.contains_key(&tp) {
            self.insert(tp, make());
        }
        self.get_mut(&tp).expect("just filled")
    }

    /// Removes and returns the value for `tp`.
    pub fn remove(&mut self, tp: &Tp) -> Option<V> {
        let slot = self.slots.get_mut(tp.topic.0 as usize)?.get_mut(tp.partition as usize)?;
        let old = slot.take().map(|(_, v)| v);
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Entries in `Tp` order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Tp, &V)> + '_ {
        self.slots.iter().flatten().flatten().map(|(tp, v)| (tp, v))
    }

    /// Entries in `Tp` order, values mutable.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&Tp, &mut V)> + '_ {
        self.slots.iter_mut().flatten().flatten().map(|(tp, v)| (&*tp, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Tp> + '_ {
        self.iter().map(|(tp, _)| tp)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Values in key order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }
}

impl<V> Index<&Tp> for TpMap<V> {
    type Output = V;

    fn index(&self, tp: &Tp) -> &V {
        self.get(tp).unwrap_or_else(|| panic!("no entry for partition {tp:?}"))
    }
}

impl<V> FromIterator<(Tp, V)> for TpMap<V> {
    fn from_iter<I: IntoIterator<Item = (Tp, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (tp, v) in iter {
            map.insert(tp, v);
        }
        map
    }
}

impl<V> IntoIterator for TpMap<V> {
    type Item = (Tp, V);
    type IntoIter = std::iter::Flatten<std::iter::Flatten<std::vec::IntoIter<Vec<Option<(Tp, V)>>>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.slots.into_iter().flatten().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::types::TopicId;
    use std::collections::BTreeMap;

    fn tp(topic: u32, partition: u32) -> Tp {
        Tp { topic: TopicId(topic), partition }
    }

    #[test]
    fn iterates_in_the_order_of_a_btree_map() {
        let keys = [tp(2, 0), tp(0, 3), tp(0, 1), tp(5, 2), tp(2, 7), tp(0, 0)];
        let mut dense = TpMap::new();
        let mut tree = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            dense.insert(*k, i);
            tree.insert(*k, i);
        }
        dense.remove(&tp(2, 7));
        tree.remove(&tp(2, 7));
        let a: Vec<(Tp, usize)> = dense.iter().map(|(k, v)| (*k, *v)).collect();
        let b: Vec<(Tp, usize)> = tree.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(a, b);
        assert_eq!(dense.len(), tree.len());
        assert_eq!(dense.into_iter().collect::<Vec<_>>(), tree.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn insert_replaces_and_remove_forgets() {
        let mut m = TpMap::new();
        assert_eq!(m.insert(tp(1, 1), "a"), None);
        assert_eq!(m.insert(tp(1, 1), "b"), Some("a"));
        assert_eq!(m.len(), 1);
        assert_eq!(*m.get_or_insert_with(tp(1, 1), || "c"), "b");
        assert_eq!(*m.get_or_insert_with(tp(0, 4), || "d"), "d");
        assert_eq!(m.remove(&tp(1, 1)), Some("b"));
        assert_eq!(m.remove(&tp(1, 1)), None);
        assert_eq!(m.get(&tp(9, 9)), None);
        assert_eq!(m.len(), 1);
    }
}
