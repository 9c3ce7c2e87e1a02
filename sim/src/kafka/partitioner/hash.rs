//! The 32-bit hash functions the clients partition keys with: Java's murmur2 (also ported by sarama and
//! kafka-go), FNV-1a (Go's `hash/fnv.New32a`) and CRC-32 IEEE (Go's `hash/crc32.ChecksumIEEE`).
//!
//! All arithmetic is wrapping 32-bit, as in Java `int` and Go `uint32`.

/// Java `Utils.murmur2(byte[])`: the hash of the Java client's keyed partitioning, as a Java (signed) `int`.
///
/// `murmur2(b"")` is `275646681` (`0x106e08d9`). sarama's and kafka-go's ports return the same bits as `u32`.
pub fn murmur2(data: &[u8]) -> i32 {
    // clients/src/main/java/org/apache/kafka/common/utils/Utils.java murmur2: seed and mixing constants.
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    // Java computes `seed ^ length` in int: the length's low 32 bits.
    let mut h = SEED ^ (data.len() as u32);
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        // Each block is read little-endian; Java masks each byte with 0xff, which is what u8 gives us.
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    h = mix_tail(h, blocks.remainder(), M);
    // Utils.java murmur2 finalisation: Java's `>>>` is a logical shift, i.e. `>>` on u32.
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// murmur2's 1–3 tail bytes. Java's `switch` falls through from case 3 to case 1, and the multiply by `m`
/// happens only when there is a tail.
fn mix_tail(mut h: u32, tail: &[u8], m: u32) -> u32 {
    // clients/.../Utils.java murmur2: `case 3: h ^= (data[(length & ~3) + 2] & 0xff) << 16;`, then falls
    // through to cases 2 and 1.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(m);
    }
    h
}

/// Java `Utils.toPositive(int)`: clears the sign bit. Not `Math.abs`: `i32::MIN` maps to 0 and `-1` to
/// `i32::MAX`.
pub fn to_positive(number: i32) -> i32 {
    number & 0x7fff_ffff
}

/// FNV-1a, 32 bits (Go's `hash/fnv.New32a().Sum32()`): the default hash of sarama's and kafka-go's hash
/// partitioners.
pub fn fnv1a_32(data: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    data.iter().fold(OFFSET_BASIS, |h, &b| (h ^ u32::from(b)).wrapping_mul(PRIME))
}

/// CRC-32 with the IEEE polynomial, reflected (Go's `hash/crc32.ChecksumIEEE`, zlib's `crc32`).
///
/// `crc32_ieee(b"SheetJS")` is `2647669026`; the empty input gives 0.
pub fn crc32_ieee(data: &[u8]) -> u32 {
    let crc =
        data.iter().fold(!0u32, |crc, &b| CRC32_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8));
    !crc
}

/// The byte-at-a-time lookup table of the reflected IEEE polynomial `0xedb88320`, built at compile time.
const CRC32_TABLE: [u32; 256] = crc32_table();

const fn crc32_table() -> [u32; 256] {
    const POLY_REFLECTED: u32 = 0xedb8_8320;
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 { POLY_REFLECTED ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// A Go `hash.Hash32` a sarama or kafka-go hash partitioner can be configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hasher32 {
    /// `fnv.New32a()`: the default of sarama's `NewHashPartitioner` and kafka-go's `Hash`/`ReferenceHash`.
    Fnv1a,
    /// `crc32.NewIEEE()`: e.g. sarama `NewConsistentCRCHashPartitioner`,
    /// kafka-go `Hash{Hasher: crc32.NewIEEE()}`.
    Crc32Ieee,
}

impl Hasher32 {
    /// `hasher.Reset(); hasher.Write(data); hasher.Sum32()`.
    pub fn sum32(self, data: &[u8]) -> u32 {
        match self {
            Self::Fnv1a => fnv1a_32(data),
            Self::Crc32Ieee => crc32_ieee(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_known_values() {
        // clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java testMurmur2.
        assert_eq!(murmur2(b""), 275_646_681);
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58_897_971);
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn murmur2_as_unsigned_matches_the_go_ports() {
        // sarama partitioner_test.go TestMurmur2 and kafka-go balancer_test.go TestMurmur2 (librdkafka).
        assert_eq!(murmur2(b"foo") as u32, 597_841_616);
        assert_eq!(murmur2(b"kafka") as u32, 3_496_464_228);
        assert_eq!(murmur2(b"giberish123456789") as u32, 2_404_723_468);
    }

    #[test]
    fn to_positive_is_a_mask_not_abs() {
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(-973_932_308), 1_173_551_340);
        assert_eq!(to_positive(42), 42);
    }

    #[test]
    fn fnv1a_known_values() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
        assert_eq!(fnv1a_32(b"foobar"), 3_214_735_720);
        // sarama TestHashPartitionerMinInt32: this key hashes to exactly 0x80000000.
        assert_eq!(fnv1a_32(b"1468509572224"), 0x8000_0000);
    }

    #[test]
    fn crc32_known_values() {
        assert_eq!(crc32_ieee(b""), 0);
        assert_eq!(crc32_ieee(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32_ieee(b"SheetJS"), 2_647_669_026);
        assert_eq!(crc32_ieee(b"foobar"), 2_666_930_069);
    }
}
