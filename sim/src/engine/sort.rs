//! Sorting through one shared copy of the standard library's sort, to keep the WebAssembly bundle small.
//!
//! `slice::sort_by` is generic over the element type and the comparator, and every closure is a type of its
//! own, so each call site compiles its own driftsort: 5-12 KB of WebAssembly apiece, ~300 KB over the ~40 sorts
//! the browser build reached (twiggy, before wasm-opt). Here the standard sort is instantiated once, on a vector
//! of `u32` positions with a `dyn` comparator; a sort of any other element type orders the positions of its
//! elements and then moves the elements into that order with swaps. The result is exactly what the standard
//! library's stable sort gives (equal elements keep their order), so replacing `sort`, `sort_by` or
//! `sort_by_key` with these changes no outcome; they also replace `sort_unstable` where equal elements cannot be
//! told apart (plain integers, strings) or do not occur (unique keys), where any order of equals is the same.
//!
//! Sorts of `u32` indexes by numeric keys, which the sticky assignor runs over every partition of a group, take
//! a faster shared path instead ([`sort_u32_by_key`]: keys packed with positions into `u128`s).
//!
//! The simulation's ordered maps and sets ([`crate::engine::vec_map`]) sort through here too when they are
//! built from many entries.
//!
//! The price is an indirect call per comparison and, for non-`u32` elements, a positions vector: fine for the
//! sorts of members, partitions and labels on rebalances and metadata changes, not for anything per record.

use std::cmp::Ordering;

/// Stably sorts `positions` by `cmp`: the one instantiation of the standard library's sort behind this module.
fn sort_positions(positions: &mut [u32], cmp: &mut dyn FnMut(u32, u32) -> Ordering) {
    positions.sort_by(|&a, &b| cmp(a, b));
}

/// Stably sorts `u32` values (partition or member indexes) by `cmp`, in place, without a positions vector.
pub fn sort_u32_by(v: &mut [u32], mut cmp: impl FnMut(u32, u32) -> Ordering) {
    sort_positions(v, &mut cmp);
}

/// Sorts `u32` values ascending (the standard library's unstable sort of `u32`, itself a single instantiation:
/// equal values cannot be told apart).
pub fn sort_u32(v: &mut [u32]) {
    v.sort_unstable();
}

/// Stably sorts `u32` values (partition or member indexes) by `key`, a number or a tuple of up to three.
///
/// The sticky assignor sorts all of a group's partitions this way (100,000 in the assignor benchmark), so this
/// path avoids the per-comparison indirect call: each element's key is packed with its position into one
/// `u128` (key fields in the high 96 bits, the position in the low 32), and those are sorted with the
/// standard library's sort of `u128`, shared by every caller. Packed values are all distinct and tie
/// on the key by position, so the order is exactly that of a stable sort by `key`.
pub fn sort_u32_by_key<K: SortKey>(v: &mut [u32], mut key: impl FnMut(u32) -> K) {
    let mut packed: Vec<u128> =
        v.iter().zip(0u32..).map(|(&x, i)| key(x).pack() << 32 | u128::from(i)).collect();
    assert!(packed.len() == v.len(), "fewer than 2^32 elements to sort");
    sort_packed(&mut packed);
    let old = v.to_vec();
    for (slot, p) in v.iter_mut().zip(&packed) {
        *slot = old[*p as u32 as usize];
    }
}

/// The one instantiation behind [`sort_u32_by_key`]. The packed values are distinct, so any sort gives the same
/// order; the stable one merges runs that are already sorted (the sticky assignor's lists of members'
/// partitions often are) instead of partitioning them.
fn sort_packed(packed: &mut [u128]) {
    packed.sort();
}

/// A 32-bit field of a [`SortKey`], mapped to a `u32` of the same order.
pub trait SortField: Copy {
    /// The field as an order-preserving `u32`.
    fn bits(self) -> u32;
}

impl SortField for u32 {
    fn bits(self) -> u32 {
        self
    }
}

impl SortField for i32 {
    /// Flipping the sign bit maps `i32::MIN..=i32::MAX` onto `0..=u32::MAX` in order.
    fn bits(self) -> u32 {
        (self as u32) ^ 0x8000_0000
    }
}

impl SortField for usize {
    /// Counts and indexes; a larger one is a bug, not an input.
    fn bits(self) -> u32 {
        u32::try_from(self).expect("a usize sort key below 2^32")
    }
}

/// A sort key of up to three 32-bit fields, compared as a tuple is, packed into the low 96 bits of a `u128`.
pub trait SortKey {
    /// The key as an order-preserving number below 2^96.
    fn pack(self) -> u128;
}

impl<A: SortField> SortKey for A {
    fn pack(self) -> u128 {
        u128::from(self.bits())
    }
}

impl<A: SortField, B: SortField> SortKey for (A, B) {
    fn pack(self) -> u128 {
        u128::from(self.0.bits()) << 32 | u128::from(self.1.bits())
    }
}

impl<A: SortField, B: SortField, C: SortField> SortKey for (A, B, C) {
    fn pack(self) -> u128 {
        u128::from(self.0.bits()) << 64 | u128::from(self.1.bits()) << 32 | u128::from(self.2.bits())
    }
}

/// Stably sorts `v` by `cmp`: the same order as `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let len = u32::try_from(v.len()).expect("fewer than 2^32 elements to sort");
    let mut order: Vec<u32> = (0..len).collect();
    sort_positions(&mut order, &mut |a, b| cmp(&v[a as usize], &v[b as usize]));
    permute(v, &mut order);
}

/// Stably sorts `v` by `key`: the same order as `v.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Stably sorts `v` by its natural order: the same order as `v.sort()`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Marks a position of [`permute`]'s `order` as already in place.
const PLACED: u32 = u32::MAX;

/// Rearranges `v` so that position `i` holds the element that was at `order[i]`, following each cycle of the
/// permutation with swaps; `order` is used up (every entry becomes [`PLACED`]).
fn permute<T>(v: &mut [T], order: &mut [u32]) {
    for start in 0..v.len() {
        // Invariant of the inner loop: `v[at]` holds the element that was at `start`.
        let mut at = start;
        while order[at] != PLACED {
            let from = order[at] as usize;
            order[at] = PLACED;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so that the tests need no RNG stream.
    fn values(n: usize, seed: u64, modulo: u64) -> Vec<(u64, usize)> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) % modulo, i)
            })
            .collect()
    }

    #[test]
    fn sort_by_matches_the_standard_stable_sort_including_equal_keys() {
        for n in [0, 1, 2, 3, 7, 20, 33, 100, 1000] {
            for modulo in [1, 3, 50, 1 << 40] {
                let v = values(n, n as u64 * 31 + modulo, modulo);
                let mut want = v.clone();
                want.sort_by_key(|e| e.0);
                let mut got = v.clone();
                sort_by_key(&mut got, |e| e.0);
                assert_eq!(got, want, "n={n} modulo={modulo}");
            }
        }
    }

    #[test]
    fn u32_sorts_match_the_standard_stable_sort() {
        let v: Vec<u32> = values(500, 7, 1000).into_iter().map(|e| e.0 as u32).collect();
        let mut want = v.clone();
        want.sort_by_key(|&x| x % 10);
        let mut got = v.clone();
        sort_u32_by_key(&mut got, |x| x % 10);
        assert_eq!(got, want);
        let mut got = v.clone();
        sort_u32_by(&mut got, |a, b| (a % 10).cmp(&(b % 10)));
        assert_eq!(got, want);
        // Tuple keys with signed and usize fields, including negative values and ties.
        let key = |x: u32| ((x % 3) as usize, (x % 7) as i32 - 3, x / 100);
        let mut want = v.clone();
        want.sort_by_key(|&x| key(x));
        let mut got = v.clone();
        sort_u32_by_key(&mut got, key);
        assert_eq!(got, want);
        let mut want = v.clone();
        want.sort_by_key(|&x| (i32::MIN + x as i32 % 5, x % 2));
        let mut got = v.clone();
        sort_u32_by_key(&mut got, |x| (i32::MIN + x as i32 % 5, x % 2));
        assert_eq!(got, want);
    }

    #[test]
    fn sort_orders_non_copy_elements() {
        let mut v: Vec<String> = ["b", "a", "c", "a", ""].iter().map(|s| s.to_string()).collect();
        sort(&mut v);
        assert_eq!(v, ["", "a", "a", "b", "c"]);
    }
}
