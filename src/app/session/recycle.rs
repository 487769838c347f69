//! Reusing a finished flow's session for the next flow. Most mirrored
//! flows are one DNS exchange; each gave its session's box, event queues
//! and message list back to the allocator and the next flow allocated them
//! again: five of a DNS flow's eleven allocations.

use super::AppSession;

/// Lists longer than this are not kept: a few busy flows must not leave
/// every recycled session holding their memory.
const KEPT_ITEMS_MAX: usize = 16;

/// How many finished sessions a worker keeps for new flows (each about
/// 0.5 KiB with its small lists).
pub const SPARE_SESSIONS: usize = 64;

fn emptied<T>(mut v: Vec<T>) -> Vec<T> {
    v.clear();
    if v.capacity() > KEPT_ITEMS_MAX {
        Vec::new()
    } else {
        v
    }
}

impl AppSession {
    /// This session made new: every field as [`AppSession::new`] sets it,
    /// its parser and messages freed, only the buffers of its event queues
    /// and message list kept (emptied).
    pub fn recycled(mut self: Box<Self>) -> Box<Self> {
        let mut old = std::mem::take(&mut *self);
        self.dns = emptied(std::mem::take(&mut old.dns));
        self.pending = std::mem::take(&mut old.pending).map(emptied);
        self.seen = emptied(std::mem::take(&mut old.seen));
        self.raised = emptied(std::mem::take(&mut old.raised));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::session::AppStats;
    use crate::app::AppConfig;

    #[test]
    fn a_recycled_session_starts_as_a_new_one() {
        let cfg = AppConfig::default();
        let mut stats = AppStats::default();
        let mut events = Vec::new();
        let query = crate::gen::apps::dns_query(0x1234, "example.com", 1);
        let mut s = Box::new(AppSession::new());
        s.feed_udp(&cfg, (&query, true), (40000, 53), &mut events, &mut stats);
        s.queue(&events, &mut stats);
        assert_eq!(s.proto, crate::app::AppProto::Dns);
        assert!(!s.dns.is_empty() && s.tx_count() == 1);
        s.keep_for_log = true;
        s.dns_logged = 1;
        let s = s.recycled();
        assert_eq!(s.proto, crate::app::AppProto::Unknown);
        assert!(!s.has_parser() && s.tx_count() == 0 && s.next_dns_tx == 0 && s.dns_reported == 0);
        assert!(s.dns.is_empty() && s.pending.iter().all(Vec::is_empty) && s.seen.is_empty() && s.raised.is_empty());
        assert!(!s.keep_for_log && s.dns_logged == 0 && s.last_dns == [None; 2]);
        assert!(s.dns.capacity() > 0 && s.seen.capacity() > 0, "the buffers are kept");
    }
}
