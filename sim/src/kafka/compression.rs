//! `compression.type` as a model: each codec shrinks a batch by a ratio that improves with the number of
//! records in it (similar records compress together) and costs CPU time per kilobyte on the producer.
//! The figures are representative of text-like payloads, not measurements of any one data set; what the model
//! keeps from Kafka is that the *compressed batch* is what `max.message.bytes` limits and what is stored.

use serde::Serialize;
use std::str::FromStr;

/// A codec, as Kafka's `compression.type` and sarama's `Producer.Compression` name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// No compression.
    None,
    /// gzip: small output, slow.
    Gzip,
    /// snappy: fast, modest ratio.
    Snappy,
    /// lz4: fastest, modest ratio.
    Lz4,
    /// zstd: small output, moderate speed.
    Zstd,
}

impl FromStr for Codec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "compressionnone" => Ok(Codec::None),
            "gzip" | "compressiongzip" => Ok(Codec::Gzip),
            "snappy" | "compressionsnappy" => Ok(Codec::Snappy),
            "lz4" | "compressionlz4" => Ok(Codec::Lz4),
            "zstd" | "compressionzstd" => Ok(Codec::Zstd),
            _ => Err(format!("unknown compression.type `{s}`: use none, gzip, snappy, lz4 or zstd")),
        }
    }
}

/// Kafka's record batch header (v2): 61 bytes.
pub const BATCH_HEADER_BYTES: u32 = 61;

impl Codec {
    /// (best ratio for a large batch, CPU microseconds per KiB compressed).
    fn params(self) -> (f64, u64) {
        match self {
            Codec::None => (1.0, 0),
            Codec::Gzip => (0.30, 20),
            Codec::Snappy => (0.55, 3),
            Codec::Lz4 => (0.50, 2),
            Codec::Zstd => (0.25, 6),
        }
    }

    /// The stored size of a batch of `records` records whose records total `payload` bytes.
    pub fn batch_bytes(self, records: usize, payload: u32) -> u32 {
        let (best, _) = self.params();
        if self == Codec::None || records == 0 {
            return BATCH_HEADER_BYTES + payload;
        }
        // One record compresses poorly; the ratio approaches `best` as records add redundancy.
        let ratio = best + (1.0 - best) / (records as f64).sqrt();
        BATCH_HEADER_BYTES + (f64::from(payload) * ratio).ceil() as u32
    }

    /// CPU time to compress `payload` bytes, in microseconds.
    pub fn cpu_us(self, payload: u32) -> u64 {
        let (_, per_kib) = self.params();
        u64::from(payload).div_ceil(1024) * per_kib
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_batches_compress_better() {
        let one = Codec::Zstd.batch_bytes(1, 100) as f64 / 100.0;
        let many = Codec::Zstd.batch_bytes(100, 10_000) as f64 / 10_000.0;
        assert!(many < one, "{many} < {one}");
        assert_eq!(Codec::None.batch_bytes(10, 1000), 1061);
    }

    #[test]
    fn sarama_names_parse() {
        assert_eq!("CompressionSnappy".parse::<Codec>(), Ok(Codec::Snappy));
        assert!("brotli".parse::<Codec>().is_err());
    }
}
