//! Ports of `java.util.Random` and of Kafka's test `MockRandom`, with the JDK's bounded `nextInt(bound)` and
//! `Collections.shuffle` on top. Kafka's `AdminUtils` and KRaft's `StripedReplicaPlacer` draw from a
//! `Random`; the conformance vectors are generated with `MockRandom`, so a faithful port reproduces them.
//!
//! These generators exist to match Java bit for bit. The simulation's own randomness comes from its seeded
//! ChaCha8 streams, never from here.

/// A Java `Random`: everything derives from the protected `next(bits)`.
pub trait JavaRandom {
    /// `Random.next(bits)`: the next `bits` (1..=32) pseudo-random bits, as a Java `int`.
    fn next(&mut self, bits: u32) -> i32;

    /// `Random.nextInt()`.
    fn next_int(&mut self) -> i32 {
        self.next(32)
    }

    /// `Random.nextInt(bound)` (the JDK's legacy algorithm, unchanged in JDK 17+ for `java.util.Random`):
    /// powers of two take the high bits; other bounds reject the top partial range.
    fn next_int_bounded(&mut self, bound: i32) -> i32 {
        assert!(bound > 0, "Random.nextInt: bound must be positive");
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        // Random.java: `for (int u = r; u - (r = u % bound) + m < 0; u = next(31));` (int overflow = reject).
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }
}

/// `Collections.shuffle(list, rnd)` for a random-access list: from the end, swap each position `i - 1` with
/// `rnd.nextInt(i)`.
pub fn shuffle<T>(list: &mut [T], rnd: &mut dyn JavaRandom) {
    for i in (2..=list.len()).rev() {
        let bound = i32::try_from(i).expect("a Java list has at most Integer.MAX_VALUE elements");
        let j = rnd.next_int_bounded(bound) as usize;
        list.swap(i - 1, j);
    }
}

/// `java.util.Random` with a seed: the 48-bit linear congruential generator of the JDK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdkRandom {
    seed: i64,
}

impl JdkRandom {
    const MULTIPLIER: i64 = 0x5_deec_e66d;
    const ADDEND: i64 = 0xb;
    const MASK: i64 = (1 << 48) - 1;

    /// `new Random(seed)`: the seed is scrambled with the multiplier.
    pub fn new(seed: i64) -> Self {
        Self { seed: (seed ^ Self::MULTIPLIER) & Self::MASK }
    }
}

impl JavaRandom for JdkRandom {
    fn next(&mut self, bits: u32) -> i32 {
        self.seed = self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(Self::ADDEND) & Self::MASK;
        // Random.java: `(int)(nextseed >>> (48 - bits))`.
        ((self.seed as u64) >> (48 - bits)) as i32
    }
}

/// Kafka's `MockRandom` (`server-common/src/test/java/org/apache/kafka/server/util/MockRandom.java`): a
/// `Random` whose `next(bits)` is a plain 64-bit LCG, used to seed `StripedReplicaPlacer` in Kafka's tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockRandom {
    state: i64,
}

impl MockRandom {
    /// `new MockRandom()` starts from 17.
    pub const DEFAULT_SEED: i64 = 17;

    /// `new MockRandom(seed)`.
    pub fn new(seed: i64) -> Self {
        Self { state: seed }
    }
}

impl Default for MockRandom {
    fn default() -> Self {
        Self::new(Self::DEFAULT_SEED)
    }
}

impl JavaRandom for MockRandom {
    fn next(&mut self, bits: u32) -> i32 {
        // MockRandom.next: `state = state * 2862933555777941757L + 3037000493L;`
        // `return (int)(state >>> (64 - bits));`
        self.state = self.state.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(3_037_000_493);
        ((self.state as u64) >> (64 - bits)) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdk_random_known_values() {
        // Printed by a JDK (OpenJDK, java.util.Random).
        assert_eq!(JdkRandom::new(42).next_int(), -1_170_105_035);
        assert_eq!(JdkRandom::new(0).next_int_bounded(10), 0);
        assert_eq!(JdkRandom::new(7).next_int_bounded(1000), 236);
        assert_eq!(JdkRandom::new(7).next_int_bounded(1 << 20), 766_193);
        let mut list: Vec<i32> = (0..8).collect();
        shuffle(&mut list, &mut JdkRandom::new(3));
        assert_eq!(list, vec![2, 4, 3, 6, 1, 0, 7, 5]);
    }

    #[test]
    fn mock_random_seed_17() {
        // Transcribed in partitioners.json (`java-mock-random`, seed 17).
        let mut r = MockRandom::default();
        let firsts: Vec<i32> = (0..2).map(|_| r.next_int()).collect();
        assert_eq!(firsts, vec![-1_553_064_625, -1_379_575_778]);
        let mut list: Vec<i32> = (0..8).collect();
        shuffle(&mut list, &mut MockRandom::default());
        assert_eq!(list, vec![4, 3, 7, 0, 6, 1, 2, 5]);
    }
}
