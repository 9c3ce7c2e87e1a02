//! Invariant checkers, one file each.
