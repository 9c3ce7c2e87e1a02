//! The scheduler, time, RNG streams, network model and trace.
