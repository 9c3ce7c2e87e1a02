//! Ordered maps and sets kept as sorted `Vec`s: the same contents, iteration order, `Debug` text and JSON as a
//! `BTreeMap` or `BTreeSet`, for the simulation's maps, which hold a few to a few hundred entries.
//!
//! Why not `BTreeMap`:
//! - **Size of the WebAssembly bundle.** Every key/value type of a `BTreeMap` compiles its own B-tree (insert,
//!   remove, search, iterate, clone, drop): about 6 KB of WebAssembly each, ~300 KB over the ~50 types the
//!   simulation used (twiggy, before wasm-opt). A sorted vector's code is a binary search and a `Vec` shift.
//! - **Speed where it matters.** The checkers walk the brokers and look up partitions after every event; walking
//!   a slice and searching it is faster than walking a tree, above all in a size-optimised build, where the
//!   tree's iterator is not inlined.
//! - A `BTreeMap` allocates a node as soon as it holds one entry and frees it when it is emptied again, which a
//!   map of requests held for a millisecond does thousands of times a second; this one keeps its buffer.
//!
//! The price is an O(n) insert or remove in the middle. Building a map from many entries (`collect`, `extend`)
//! sorts them once instead ([`crate::engine::sort`]), so that stays O(n log n) whatever their order.

use crate::engine::sort;
use std::borrow::Borrow;
use std::fmt;

/// An ordered map as a sorted vector of entries.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    /// As a `BTreeMap` prints: `{k: v, ...}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for VecMap<K, V> {
    /// As a `BTreeMap` serialises: a map in key order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries.iter().map(|(k, v)| (k, v)))
    }
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self { entries: Vec::new() }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value for `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// The entry with the smallest key.
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(|(k, v)| (k, v))
    }

    /// The entry with the largest key.
    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }

    /// Removes and returns the entry with the smallest key.
    pub fn pop_first(&mut self) -> Option<(K, V)> {
        (!self.entries.is_empty()).then(|| self.entries.remove(0))
    }

    /// Removes and returns the entry with the largest key.
    pub fn pop_last(&mut self) -> Option<(K, V)> {
        self.entries.pop()
    }

    /// The entry for `key`, to read, insert or update in place (`BTreeMap::entry`).
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.find(&key);
        Entry { map: self, key, at }
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets the value for `key`; returns the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value for `key`, inserting `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        self.entry(key).or_insert_with(make)
    }

    /// The value for `key`, inserting the default first if there is none.
    pub fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.get_or_insert_with(key, V::default)
    }

    /// Removes and returns the value for `key`.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in key order, values mutable.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + '_ {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in key order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keys in order, by value.
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = K> {
        self.entries.into_iter().map(|(k, _)| k)
    }

    /// Values in key order, by value.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> {
        self.entries.into_iter().map(|(_, v)| v)
    }

    /// Entries whose keys lie in `range`, in key order.
    pub fn range<Q: Ord + ?Sized>(
        &self,
        range: impl std::ops::RangeBounds<Q>,
    ) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_
    where
        K: Borrow<Q>,
    {
        use std::ops::Bound;
        let start = match range.start_bound() {
            Bound::Included(q) => self.entries.partition_point(|(k, _)| k.borrow() < q),
            Bound::Excluded(q) => self.entries.partition_point(|(k, _)| k.borrow() <= q),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(q) => self.entries.partition_point(|(k, _)| k.borrow() <= q),
            Bound::Excluded(q) => self.entries.partition_point(|(k, _)| k.borrow() < q),
            Bound::Unbounded => self.entries.len(),
        };
        self.entries[start..end.max(start)].iter().map(|(k, v)| (k, v))
    }

    /// Moves every entry of `other` into this map; `other`'s value wins for a key both hold.
    pub fn append(&mut self, other: &mut Self) {
        self.extend(std::mem::take(&mut other.entries));
    }
}

impl<'de, K: Ord + serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::Deserialize<'de>
    for VecMap<K, V>
{
    /// From a map, as a `BTreeMap` deserialises (the last value of a repeated key wins).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: Ord + serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::de::Visitor<'de>
            for Entries<K, V>
        {
            type Value = VecMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// A place in a [`VecMap`] for one key, filled or not (`btree_map::Entry`).
pub struct Entry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    /// The value, inserting `make()` first if there is none.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.entries.insert(i, (self.key, make()));
                i
            }
        };
        &mut self.map.entries[i].1
    }

    /// The value, inserting `value` first if there is none.
    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    /// The value, inserting the default first if there is none.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    /// Runs `f` on the value if there is one.
    pub fn and_modify(self, f: impl FnOnce(&mut V)) -> Self {
        if let Ok(i) = self.at {
            f(&mut self.map.entries[i].1);
        }
        self
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    /// Adds the entries; for a key given twice, the last value wins (as `BTreeMap::extend`). Sorts once when the
    /// new keys are not already in order after the old ones.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let old = self.entries.len();
        self.entries.extend(iter);
        let in_order = self.entries[old.saturating_sub(1)..].windows(2).all(|w| w[0].0 < w[1].0);
        if !in_order {
            // A stable sort keeps the entries of one key in the order they came; the last one stays.
            sort::sort_by(&mut self.entries, |a, b| a.0.cmp(&b.0));
            let mut kept: Vec<(K, V)> = Vec::with_capacity(self.entries.len());
            for e in self.entries.drain(..) {
                match kept.last_mut() {
                    Some(last) if last.0 == e.0 => *last = e,
                    _ => kept.push(e),
                }
            }
            self.entries = kept;
        }
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Ord, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V>
where
    K: Borrow<Q>,
{
    type Output = V;

    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// The map of the entries; for a key given twice, the last value wins (as `BTreeMap` collects).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        map.extend(iter);
        map
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    /// Entries in key order, by reference (`for (k, v) in &map`).
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    /// Entries in key order, by value.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// An ordered set as a sorted vector (`BTreeSet`'s contents, order, `Debug` text and JSON).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecSet<T> {
    items: Vec<T>,
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    /// As a `BTreeSet` prints: `{a, b}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.items).finish()
    }
}

impl<T: serde::Serialize> serde::Serialize for VecSet<T> {
    /// As a `BTreeSet` serialises: a sequence in order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.items)
    }
}

impl<T: Ord> VecSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn find<Q: Ord + ?Sized>(&self, item: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        self.items.binary_search_by(|x| x.borrow().cmp(item))
    }

    /// Whether the set holds `item`.
    pub fn contains<Q: Ord + ?Sized>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(item).is_ok()
    }

    /// Adds `item`; returns whether it was new.
    pub fn insert(&mut self, item: T) -> bool {
        match self.find(&item) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, item);
                true
            }
        }
    }

    /// Removes `item`; returns whether it was there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(item).map(|i| self.items.remove(i)).is_ok()
    }

    /// The smallest item.
    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    /// The largest item.
    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }

    /// Removes and returns the smallest item.
    pub fn pop_first(&mut self) -> Option<T> {
        (!self.items.is_empty()).then(|| self.items.remove(0))
    }

    /// Keeps the items for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }

    /// Removes every item.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Whether every item of this set is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.items.iter().all(|x| other.contains(x))
    }

    /// Items of this set that are not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a T> + 'a {
        self.items.iter().filter(move |x| !other.contains(*x))
    }

    /// Items in both sets, in order.
    pub fn intersection<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a T> + 'a {
        self.items.iter().filter(move |x| other.contains(*x))
    }

    /// The items as a sorted slice.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    /// Adds the items; sorts once when they do not come in order after the old ones.
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let old = self.items.len();
        self.items.extend(iter);
        let in_order = self.items[old.saturating_sub(1)..].windows(2).all(|w| w[0] < w[1]);
        if !in_order {
            sort::sort(&mut self.items);
            self.items.dedup();
        }
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btree_map() {
        let mut small = VecMap::new();
        let mut tree = BTreeMap::new();
        for (i, k) in [5, 1, 9, 3, 1, 7, 0].into_iter().enumerate() {
            assert_eq!(small.insert(k, i), tree.insert(k, i));
        }
        assert_eq!(small.remove(&9), tree.remove(&9));
        assert_eq!(small.remove(&9), None);
        small.retain(|k, _| k % 3 != 0);
        tree.retain(|k, _| k % 3 != 0);
        let a: Vec<_> = small.iter().collect();
        let b: Vec<_> = tree.iter().collect();
        assert_eq!(a, b);
        assert_eq!(*small.get_or_insert_with(4, || 40), 40);
        assert_eq!(small.get(&4), Some(&40));
        assert_eq!(small.len(), tree.len() + 1);
    }

    /// A run of random operations, on the map and on a `BTreeMap`, must give the same answers, leave the same
    /// contents, print the same `Debug` text and serialise to the same JSON; likewise for the set.
    #[test]
    fn random_operations_match_the_standard_collections() {
        use std::collections::BTreeSet;
        let mut state = 12345u64;
        let mut next = move |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let (mut map, mut tree) = (VecMap::new(), BTreeMap::new());
        let (mut set, mut bset) = (VecSet::new(), BTreeSet::new());
        for round in 0..2000u64 {
            let k = next(40);
            match next(9) {
                0 => assert_eq!(map.insert(k, round), tree.insert(k, round)),
                1 => assert_eq!(map.remove(&k), tree.remove(&k)),
                2 => {
                    *map.entry(k).or_insert(round) += 1;
                    *tree.entry(k).or_insert(round) += 1;
                }
                3 => {
                    map.entry(k).and_modify(|v| *v *= 2).or_default();
                    tree.entry(k).and_modify(|v| *v *= 2).or_default();
                }
                4 => {
                    let more: Vec<(u64, u64)> = (0..next(6)).map(|i| (next(40), round + i)).collect();
                    map.extend(more.clone());
                    tree.extend(more);
                }
                5 => {
                    let fresh: Vec<(u64, u64)> = (0..next(30)).map(|i| (next(40), i)).collect();
                    map = fresh.iter().copied().collect();
                    tree = fresh.into_iter().collect();
                }
                6 => assert_eq!(map.pop_first(), tree.pop_first()),
                7 => {
                    let items: Vec<u64> = (0..next(5)).map(|_| next(40)).collect();
                    set.extend(items.clone());
                    bset.extend(items);
                }
                _ => assert_eq!(set.remove(&k), bset.remove(&k)),
            }
            assert_eq!(set.insert(k + 100), bset.insert(k + 100));
            let (lo, hi) = (next(40), next(40));
            let a: Vec<_> = map.range(lo..hi.max(lo)).collect();
            let b: Vec<_> = tree.range(lo..hi.max(lo)).collect();
            assert_eq!(a, b);
            assert_eq!(format!("{map:?}"), format!("{tree:?}"));
            assert_eq!(format!("{set:?}"), format!("{bset:?}"));
            assert_eq!(serde_json::to_string(&set).unwrap(), serde_json::to_string(&bset).unwrap());
            assert_eq!(map.first_key_value(), tree.first_key_value());
            assert_eq!(map.last_key_value(), tree.last_key_value());
        }
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, serde_json::to_string(&tree).unwrap());
        let back: VecMap<u64, u64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, map);
    }

    #[test]
    fn collecting_keeps_the_last_value_of_a_repeated_key_as_a_btree_map_does() {
        let entries = [(3, "a"), (1, "b"), (3, "c"), (2, "d"), (1, "e")];
        let map: VecMap<_, _> = entries.into_iter().collect();
        let tree: BTreeMap<_, _> = entries.into_iter().collect();
        assert_eq!(map.iter().collect::<Vec<_>>(), tree.iter().collect::<Vec<_>>());
        let mut extended = VecMap::from([(2, "x"), (5, "y")]);
        extended.extend(entries);
        let mut tree = BTreeMap::from([(2, "x"), (5, "y")]);
        tree.extend(entries);
        assert_eq!(extended.iter().collect::<Vec<_>>(), tree.iter().collect::<Vec<_>>());
    }
}
