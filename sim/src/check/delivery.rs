//! Delivery accounting for consumer groups, built from the trace: which records each group processed, which it
//! processed more than once (duplicates) and which it committed without ever processing them (skips), each
//! attributed to its cause in plain words.
//!
//! - A **duplicate** is a record a group's members processed twice. Kafka's consumers are at-least-once by
//!   default: a member that processed records and then crashed, lost its partitions, or had its commit rejected
//!   leaves them to the next owner, which starts from the last *committed* offset.
//! - A **skip** is a record below a group's committed offset that no member processed: the commit ran ahead of
//!   the processing (kafka-go's `ReadMessage` commits before returning the message) and the process died in
//!   between. That is at-most-once delivery. Records jumped over on purpose — `auto.offset.reset` after
//!   `OFFSET_OUT_OF_RANGE` (e.g. deleted by `DeleteRecords`), a `seek()` forward, an admin offset reset — are
//!   not skips: they are listed with their reason.
//!
//! Records are identified by (group, partition, offset); a run with an unclean election can reuse an offset for a
//! different record, which this accounting does not tell apart.

use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::trace::{TraceEvent, TraceKind};
use crate::engine::vec_map::VecMap;
use crate::engine::world::World;
use crate::kafka::types::Offset;

/// Records of a partition processed again by a group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Duplicate {
    /// The group.
    pub group: String,
    /// `topic-N`.
    pub partition: String,
    /// First offset.
    pub from: Offset,
    /// Last offset.
    pub to: Offset,
    /// Who processed them again, and when.
    pub by: String,
    /// When.
    pub at: SimTime,
    /// Why, in words.
    pub cause: String,
}

/// Records of a partition below the group's committed offset that no member processed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skip {
    /// The group.
    pub group: String,
    /// `topic-N`.
    pub partition: String,
    /// First offset.
    pub from: Offset,
    /// Last offset.
    pub to: Offset,
    /// Why, in words.
    pub cause: String,
}

/// A range of offsets `[from, to)` a group jumped over on purpose, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Jump {
    from: Offset,
    to: Offset,
    reason: String,
}

/// One partition as one group consumed it.
#[derive(Clone, Debug, Default)]
struct PartitionLedger {
    /// The lowest offset the group began reading at (a reset, or its first processed record).
    start: Option<Offset>,
    /// The first processing of each offset: `from → (to, consumer, at)`, disjoint ranges.
    processed: VecMap<Offset, (Offset, String, SimTime)>,
    /// Offsets processed at least once.
    processed_count: u64,
    /// Ranges jumped over on purpose.
    jumps: Vec<Jump>,
    /// Every successful commit: (at, offset, who).
    commits: Vec<(SimTime, Offset, String)>,
}

impl PartitionLedger {
    fn committed(&self) -> Option<Offset> {
        self.commits.last().map(|(_, o, _)| *o)
    }

    /// Records `[from, to]` processed by `by`: returns the sub-ranges processed before, with who and when.
    fn process(
        &mut self,
        from: Offset,
        to: Offset,
        by: &str,
        at: SimTime,
    ) -> Vec<(Offset, Offset, String, SimTime)> {
        self.start = Some(self.start.map_or(from, |s| s.min(from)));
        let mut seen = Vec::new();
        // The ranges are disjoint, so their ends rise with their starts: none before the last one that starts
        // before `from` can reach it.
        let first = self.processed.range(..from).next_back().map_or(from, |(a, _)| *a);
        let overlapping: Vec<(Offset, (Offset, String, SimTime))> = self
            .processed
            .range(first..=to)
            .filter(|(_, (end, _, _))| *end >= from)
            .map(|(a, v)| (*a, v.clone()))
            .collect();
        let mut cursor = from;
        for (a, (b, who, when)) in overlapping {
            let (lo, hi) = (a.max(from), b.min(to));
            if lo > cursor {
                self.insert(cursor, lo - 1, by, at);
            }
            seen.push((lo, hi, who, when));
            cursor = cursor.max(hi + 1);
        }
        if cursor <= to {
            self.insert(cursor, to, by, at);
        }
        seen
    }

    fn insert(&mut self, from: Offset, to: Offset, by: &str, at: SimTime) {
        self.processed_count += (to - from + 1) as u64;
        self.processed.insert(from, (to, by.to_string(), at));
    }

    /// Offsets in `[start, committed)` neither processed, jumped over, nor in `in_progress`.
    fn gaps(&self, in_progress: &[(Offset, Offset)]) -> Vec<(Offset, Offset)> {
        let (Some(start), Some(committed)) = (self.start, self.committed()) else { return Vec::new() };
        let mut covered: Vec<(Offset, Offset)> =
            self.processed.iter().map(|(a, (b, _, _))| (*a, *b)).collect();
        covered.extend(self.jumps.iter().filter(|j| j.to > j.from).map(|j| (j.from, j.to - 1)));
        covered.extend(in_progress.iter().copied());
        sort::sort(&mut covered);
        let mut gaps = Vec::new();
        let mut cursor = start;
        for (a, b) in covered {
            if cursor >= committed {
                break;
            }
            if a > cursor {
                gaps.push((cursor, a.min(committed) - 1));
            }
            cursor = cursor.max(b + 1);
        }
        if cursor < committed {
            gaps.push((cursor, committed - 1));
        }
        gaps
    }
}

/// Delivery accounting for every group of a run.
#[derive(Clone, Debug, Default)]
pub struct DeliveryLedger {
    /// group → partition → ledger.
    groups: VecMap<String, VecMap<String, PartitionLedger>>,
    /// What happened to each consumer, for attributing causes: (at, what).
    history: VecMap<String, Vec<(SimTime, String)>>,
    /// When each consumer stopped being a member (removed, left, lost its partitions, crashed), with why.
    exits: VecMap<String, Vec<(SimTime, String)>>,
    /// When each consumer was given partitions.
    assigned: VecMap<String, Vec<SimTime>>,
    /// Admin offset resets per group: (at, partition, offset).
    resets: VecMap<String, Vec<(SimTime, String, Offset)>>,
    /// Every duplicate so far.
    pub duplicates: Vec<Duplicate>,
}

impl DeliveryLedger {
    /// The ledger of a whole trace.
    pub fn from_events(events: &[TraceEvent]) -> Self {
        let mut l = Self::default();
        l.feed(events);
        l
    }

    /// Reads new trace events; returns whether any concerned a group.
    pub fn feed(&mut self, events: &[TraceEvent]) -> bool {
        let mut touched = false;
        for e in events {
            touched |= self.on_event(e.at, &e.kind);
        }
        touched
    }

    fn partition(&mut self, group: &str, partition: &str) -> &mut PartitionLedger {
        self.groups.entry(group.to_string()).or_default().entry(partition.to_string()).or_default()
    }

    fn note(&mut self, consumer: &str, at: SimTime, what: String) {
        self.history.entry(consumer.to_string()).or_default().push((at, what));
    }

    /// Records that `consumer` stopped being a member of its group.
    fn exit(&mut self, consumer: &str, at: SimTime, what: String) {
        self.note(consumer, at, what.clone());
        self.exits.entry(consumer.to_string()).or_default().push((at, what));
    }

    /// If `by` was no longer a member when it processed records handed out at `polled_at` (it left, was
    /// removed or lost its partitions before finishing, and was not given partitions again before polling):
    /// when and why it stopped being one.
    fn zombie(&self, by: &str, polled_at: SimTime, at: SimTime) -> Option<&(SimTime, String)> {
        let exit = self.exits.get(by)?.iter().rev().find(|(t, _)| *t <= at)?;
        let back = self.assigned.get(by).is_some_and(|a| a.iter().any(|t| *t > exit.0 && *t <= polled_at));
        (!back).then_some(exit)
    }

    fn on_event(&mut self, at: SimTime, kind: &TraceKind) -> bool {
        match kind {
            TraceKind::Consumed { consumer, group, partition, from, to, polled_at, .. }
                if !group.is_empty() =>
            {
                self.on_consumed(at, *polled_at, group, partition, (*from, *to), consumer);
            }
            TraceKind::OffsetReset { consumer, group, partition, policy, from, offset, reason }
                if !group.is_empty() =>
            {
                let p = self.partition(group, partition);
                match from {
                    Some(f) if offset > f => p.jumps.push(Jump {
                        from: *f,
                        to: *offset,
                        reason: format!(
                            "auto.offset.reset={policy} moved {consumer} from {f} to {offset}: {partition} {reason}"
                        ),
                    }),
                    Some(_) => {}
                    None => p.start = Some(p.start.map_or(*offset, |s| s.min(*offset))),
                }
            }
            TraceKind::Seeked { consumer, group, partition, from, to } if !group.is_empty() => match from {
                Some(f) if to > f => self.partition(group, partition).jumps.push(Jump {
                    from: *f,
                    to: *to,
                    reason: format!("{consumer} called seek() from {f} to {to}"),
                }),
                Some(f) => self.note(consumer, at, format!("seeked {partition} back from {f} to {to}")),
                None => {}
            },
            TraceKind::OffsetsCommitted { group, member, offsets, .. } => {
                for (partition, offset) in offsets {
                    let p = self.partition(group, partition);
                    let old = p.committed();
                    p.commits.push((at, *offset, member.clone()));
                    if member == crate::engine::world::ADMIN_NAME {
                        if let Some(old) = old.filter(|o| offset > o) {
                            p.jumps.push(Jump {
                                from: old,
                                to: *offset,
                                reason: format!("the admin reset the group's offset from {old} to {offset}"),
                            });
                        }
                        self.resets.entry(group.clone()).or_default().push((at, partition.clone(), *offset));
                    }
                }
            }
            TraceKind::CommitFailed { consumer, error, .. } => {
                self.note(consumer, at, format!("its commit failed with {error}"))
            }
            TraceKind::ConsumerCrashed { consumer, .. } => self.exit(consumer, at, "crashed".to_string()),
            TraceKind::PartitionsRevoked { consumer, partitions, lost: true, reason, .. } => {
                self.exit(consumer, at, format!("lost [{}] ({reason})", partitions.join(", ")))
            }
            TraceKind::PartitionsRevoked { consumer, partitions, reason, .. } => {
                self.note(consumer, at, format!("gave up [{}] ({reason})", partitions.join(", ")))
            }
            TraceKind::PartitionsAssigned { consumer, .. } => {
                self.assigned.entry(consumer.clone()).or_default().push(at)
            }
            TraceKind::ConsumerLeft { consumer, reason, .. } => {
                let short = reason.split(':').next().unwrap_or(reason);
                self.exit(consumer, at, format!("left the group ({short})"))
            }
            TraceKind::MemberRemoved { member, reason, .. } => {
                self.exit(member, at, format!("was removed from the group by the coordinator ({reason})"))
            }
            _ => return false,
        }
        true
    }

    fn on_consumed(
        &mut self,
        at: SimTime,
        polled_at: SimTime,
        group: &str,
        partition: &str,
        (from, to): (Offset, Offset),
        by: &str,
    ) {
        let seen = self.partition(group, partition).process(from, to, by, at);
        for (lo, hi, first_by, first_at) in seen {
            let cause = self.duplicate_cause(group, partition, (&first_by, first_at), (by, polled_at, at));
            // Records processed one by one and redelivered for the same reason read better as one range.
            if let Some(last) = self.duplicates.last_mut() {
                let same = last.group == group
                    && last.partition == partition
                    && last.by == by
                    && last.cause == cause;
                if same && last.to + 1 == lo {
                    last.to = hi;
                    continue;
                }
            }
            self.duplicates.push(Duplicate {
                group: group.to_string(),
                partition: partition.to_string(),
                from: lo,
                to: hi,
                by: by.to_string(),
                at,
                cause,
            });
        }
    }

    /// Why `by` processed records `first_by` had processed at `first_at`: the first thing that happened to
    /// `first_by` in between (a crash, a lost partition, a failed commit, ...), or an offset reset.
    fn duplicate_cause(
        &self,
        group: &str,
        partition: &str,
        (first_by, first_at): (&str, SimTime),
        (by, polled_at, at): (&str, SimTime, SimTime),
    ) -> String {
        let committed =
            self.groups.get(group).and_then(|g| g.get(partition)).and_then(PartitionLedger::committed);
        let committed = committed.map_or("no offset".to_string(), |c| format!("offset {c}"));
        if let Some((t, _, o)) = self
            .resets
            .get(group)
            .and_then(|r| r.iter().find(|(t, p, _)| p == partition && *t >= first_at && *t <= at))
        {
            return format!("the admin reset the group's offset for {partition} to {o} at {t}");
        }
        if let Some((t, what)) = self.zombie(by, polled_at, at).filter(|_| first_by != by) {
            let when = if *t >= polled_at { "and was still processing them when" } else { "after" };
            return format!(
                "{by} got them from poll() at {polled_at} {when} it {what} at {t}: a zombie; {first_by} had \
                 processed them as their owner"
            );
        }
        let event =
            self.history.get(first_by).and_then(|h| h.iter().find(|(t, _)| *t >= first_at && *t <= at));
        match event {
            Some((t, what)) => format!(
                "{first_by} had processed them, then {what} at {t} before a commit covered them (the group had \
                 committed {committed})"
            ),
            None if first_by == by => format!("{by} processed them again (the group had committed {committed})"),
            None => format!(
                "{first_by} had processed them and still counted itself their owner when {by} got them (the group \
                 had committed {committed})"
            ),
        }
    }

    /// Records committed but never processed, given what live consumers are still processing.
    pub fn skips(&self, world: &World) -> Vec<Skip> {
        let mut in_progress: VecMap<(String, String), Vec<(Offset, Offset)>> = VecMap::new();
        for c in world.consumers().filter(|c| c.is_running()) {
            let group = c.group.as_deref().unwrap_or("").to_string();
            for (partition, a, b) in c.records_in_progress() {
                in_progress.entry((group.clone(), partition)).or_default().push((a, b));
            }
        }
        let mut out = Vec::new();
        for (group, partitions) in &self.groups {
            for (partition, p) in partitions {
                let busy =
                    in_progress.get(&(group.clone(), partition.clone())).map_or(&[][..], |v| v.as_slice());
                for (from, to) in p.gaps(busy) {
                    let cause = self.skip_cause(p, from);
                    out.push(Skip { group: group.clone(), partition: partition.clone(), from, to, cause });
                }
            }
        }
        out
    }

    /// Why `offset` was committed without being processed: who committed past it, and what happened to them.
    fn skip_cause(&self, p: &PartitionLedger, offset: Offset) -> String {
        let Some((t, o, who)) = p.commits.iter().find(|(_, o, _)| *o > offset) else {
            return "never processed".to_string();
        };
        let after = self.history.get(who).and_then(|h| h.iter().find(|(at, _)| at >= t));
        match after {
            Some((t2, what)) => format!(
                "{who} committed offset {o} at {t} before processing them (commit before process), then {what} \
                 at {t2}"
            ),
            None => format!("{who} committed offset {o} at {t} but no member processed them"),
        }
    }

    /// Records of `group` processed at least once (each offset counted once).
    pub fn processed(&self, group: &str) -> u64 {
        self.groups.get(group).map_or(0, |g| g.values().map(|p| p.processed_count).sum())
    }

    /// Records of `group` processed more than once (each extra processing counted).
    pub fn duplicated(&self, group: &str) -> u64 {
        self.duplicates.iter().filter(|d| d.group == group).map(|d| (d.to - d.from + 1) as u64).sum()
    }

    /// The groups seen, in name order.
    pub fn groups(&self) -> impl Iterator<Item = &String> {
        self.groups.keys()
    }

    /// Ranges jumped over on purpose, as (group, partition, from, to-exclusive, reason).
    pub fn jumps(&self) -> Vec<(String, String, Offset, Offset, String)> {
        let mut out = Vec::new();
        for (g, parts) in &self.groups {
            for (name, p) in parts {
                for j in &p.jumps {
                    out.push((g.clone(), name.clone(), j.from, j.to, j.reason.clone()));
                }
            }
        }
        out
    }
}

/// Counts records in skips.
pub fn skipped_records(skips: &[Skip], group: &str) -> u64 {
    skips.iter().filter(|s| s.group == group).map(|s| (s.to - s.from + 1) as u64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ms: u64, kind: TraceKind) -> TraceEvent {
        TraceEvent { step: 0, at: SimTime::from_ms(ms), kind }
    }

    fn consumed(ms: u64, consumer: &str, from: Offset, to: Offset) -> TraceEvent {
        ev(
            ms,
            TraceKind::Consumed {
                consumer: consumer.into(),
                group: "g".into(),
                partition: "t-0".into(),
                from,
                to,
                generation: 1,
                polled_at: SimTime::from_ms(ms),
            },
        )
    }

    fn committed(ms: u64, member: &str, offset: Offset) -> TraceEvent {
        ev(
            ms,
            TraceKind::OffsetsCommitted {
                group: "g".into(),
                member: member.into(),
                generation: 1,
                offsets: [("t-0".to_string(), offset)].into_iter().collect(),
            },
        )
    }

    #[test]
    fn a_crash_before_the_commit_makes_the_next_owner_process_records_again() {
        let events = vec![
            consumed(100, "c1", 0, 9),
            committed(200, "c1", 5),
            ev(300, TraceKind::ConsumerCrashed { consumer: "c1".into(), group: "g".into() }),
            consumed(400, "c2", 5, 12),
        ];
        let l = DeliveryLedger::from_events(&events);
        assert_eq!(l.processed("g"), 13);
        assert_eq!(l.duplicated("g"), 5);
        let d = &l.duplicates[0];
        assert_eq!((d.from, d.to, d.by.as_str()), (5, 9, "c2"));
        assert!(d.cause.contains("c1 had processed them, then crashed at 0.300s"), "{}", d.cause);
        assert!(d.cause.contains("committed offset 5"), "{}", d.cause);
    }

    #[test]
    fn gaps_below_the_commit_are_skips_unless_jumped_over_on_purpose() {
        let mut p = PartitionLedger::default();
        p.process(0, 3, "c1", SimTime::ZERO);
        p.commits.push((SimTime::ZERO, 10, "c1".into()));
        assert_eq!(p.gaps(&[]), vec![(4, 9)]);
        assert_eq!(p.gaps(&[(4, 6)]), vec![(7, 9)], "records being processed are not skipped yet");
        p.jumps.push(Jump { from: 4, to: 8, reason: "seek".into() });
        assert_eq!(p.gaps(&[]), vec![(8, 9)]);
        p.process(8, 20, "c2", SimTime::ZERO);
        assert!(p.gaps(&[]).is_empty());
    }

    #[test]
    fn a_commit_before_processing_then_a_crash_is_attributed() {
        let events = vec![
            consumed(100, "c1", 0, 4),
            committed(150, "c1", 6),
            ev(160, TraceKind::ConsumerCrashed { consumer: "c1".into(), group: "g".into() }),
        ];
        let l = DeliveryLedger::from_events(&events);
        let p = &l.groups["g"]["t-0"];
        assert_eq!(p.gaps(&[]), vec![(5, 5)]);
        let cause = l.skip_cause(p, 5);
        assert!(cause.contains("c1 committed offset 6 at 0.150s before processing them"), "{cause}");
        assert!(cause.contains("crashed at 0.160s"), "{cause}");
    }
}
