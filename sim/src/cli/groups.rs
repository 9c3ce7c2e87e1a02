//! The consumer part of `kafkasim run`'s final report: each group as its coordinator knows it, each consumer's
//! positions and lag, and each group's delivery accounting (duplicates and skips with their causes).

use crate::check::delivery::{skipped_records, DeliveryLedger};
use crate::engine::world::World;
use crate::kafka::group::find_group;
use crate::kafka::producer_config::ClientProfile;
use crate::scenario::expect_group::{consumer_status, high_watermark};

/// The report, empty when the run has no consumers.
pub fn render(world: &World) -> String {
    let mut out = String::new();
    let consumers: Vec<_> = world.consumers().collect();
    if consumers.is_empty() {
        return out;
    }
    let mut groups: Vec<String> =
        consumers.iter().filter_map(|c| c.group.as_deref().map(str::to_string)).collect();
    groups.sort();
    groups.dedup();
    for name in &groups {
        out.push_str(&group_line(world, name));
    }
    for c in &consumers {
        let status = consumer_status(world, c);
        let group = c.group.as_deref().map_or("assign()".to_string(), |g| format!("group {g}"));
        out.push_str(&format!(
            "  consumer {} ({group}, {status}): {} record(s) processed\n",
            c.name, c.consumed
        ));
        let hides = c.config.client == ClientProfile::KafkaGo && c.group.is_some();
        for (partition, p) in c.partition_states() {
            let lag =
                p.high_watermark.zip(p.position).map_or("?".to_string(), |(h, x)| (h - x).max(0).to_string());
            let to_end =
                p.log_end_offset.zip(p.position).map_or("?".to_string(), |(e, x)| (e - x).max(0).to_string());
            let position = p.position.map_or("?".to_string(), |x| x.to_string());
            // Java's records-lag is high watermark - position; the log end offset also counts records not yet
            // replicated to the ISR, which a consumer cannot read yet.
            out.push_str(&format!(
                "    {partition}: position {position}, lag {lag} (to the log end: {to_end})"
            ));
            if hides {
                out.push_str(" (kafka-go's Reader.Offset() and Lag() report -1 with a GroupID)");
            }
            out.push('\n');
        }
    }
    out.push_str(&delivery(world, &groups));
    out
}

fn group_line(world: &World, name: &str) -> String {
    let Some((broker, g, offsets)) = find_group(world, name) else {
        return format!("  group {name}: no coordinator knows it\n");
    };
    let mut out = format!(
        "  group {name} on broker {broker}: {}, generation {}, assignor {}\n",
        g.state.name(),
        g.generation,
        g.protocol_name.as_deref().unwrap_or("-")
    );
    for m in &g.members {
        let mut parts: Vec<String> = m.assignment.iter().map(ToString::to_string).collect();
        parts.sort();
        let idle = if parts.is_empty() { " (idle)" } else { "" };
        out.push_str(&format!("    {} → [{}]{idle}\n", m.client_id, parts.join(", ")));
    }
    for (tp, v) in offsets.into_iter().flatten() {
        let name = tp.to_string();
        let lag = high_watermark(world, &name).map_or("?".to_string(), |h| (h - v.offset).max(0).to_string());
        out.push_str(&format!("    committed {name} = {}, lag {lag}\n", v.offset));
    }
    out
}

fn delivery(world: &World, groups: &[String]) -> String {
    let ledger = DeliveryLedger::from_events(world.trace().events());
    let skips = ledger.skips(world);
    let mut out = String::new();
    for g in groups {
        out.push_str(&format!(
            "  delivery to group {g}: {} record(s) processed, {} processed again, {} skipped\n",
            ledger.processed(g),
            ledger.duplicated(g),
            skipped_records(&skips, g)
        ));
        for d in ledger.duplicates.iter().filter(|d| &d.group == g) {
            out.push_str(&format!(
                "    again: {} {}..{} by {}: {}\n",
                d.partition, d.from, d.to, d.by, d.cause
            ));
        }
        for s in skips.iter().filter(|s| &s.group == g) {
            out.push_str(&format!("    skipped: {} {}..{}: {}\n", s.partition, s.from, s.to, s.cause));
        }
        for (_, p, from, to, why) in ledger.jumps().into_iter().filter(|j| &j.0 == g) {
            out.push_str(&format!("    jumped over: {p} {from}..{}: {why}\n", to - 1));
        }
    }
    out
}
