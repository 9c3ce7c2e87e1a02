//! Key → partition, exactly as the Java client, sarama and kafka-go compute it. (Being written.)
