//! How workers tell each other about state that is not per flow (xbits and
//! host tags, [`crate::detect::hoststate`]; the FTP data connections a
//! control connection announces, whose flows may hash to another worker):
//! each worker has one bounded inbox; after a batch, a worker that changed
//! such state sends the changes to every other worker, which applies them
//! before its next batch.
//!
//! Nothing is locked: a worker only touches its own copy. Sends never
//! block the packet path: a full inbox drops the notes, counted.

use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use crate::app::ftp::expect::Announcement;
use crate::detect::hoststate::HostNote;

/// What one worker tells the others after a batch.
#[derive(Debug, Default)]
pub struct PeerBatch {
    pub host: Vec<HostNote>,
    pub ftp: Vec<Announcement>,
}

impl PeerBatch {
    fn len(&self) -> usize {
        self.host.len() + self.ftp.len()
    }
}

/// Batches of notes an inbox holds before further ones are dropped.
const INBOX_BATCHES: usize = 256;

/// One worker's end of the mesh.
#[derive(Debug)]
pub struct PeerLink {
    inbox: Receiver<Arc<PeerBatch>>,
    /// The other workers' inboxes.
    peers: Vec<Sender<Arc<PeerBatch>>>,
    /// Notes not delivered because a peer's inbox was full.
    pub dropped: u64,
}

/// Links for `n` workers, each connected to all the others.
pub fn mesh(n: usize) -> Vec<PeerLink> {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..n).map(|_| bounded::<Arc<PeerBatch>>(INBOX_BATCHES)).unzip();
    rxs.into_iter()
        .enumerate()
        .map(|(i, inbox)| PeerLink {
            inbox,
            peers: txs.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, t)| t.clone()).collect(),
            dropped: 0,
        })
        .collect()
}

impl PeerLink {
    /// A link to nobody (one worker).
    pub fn alone() -> PeerLink {
        mesh(1).pop().unwrap_or_else(|| PeerLink { inbox: bounded(1).1, peers: Vec::new(), dropped: 0 })
    }

    /// Sends the host notes (emptied) and FTP announcements to every peer.
    pub fn publish(&mut self, host: &mut Vec<HostNote>, ftp: Vec<Announcement>) {
        if host.is_empty() && ftp.is_empty() {
            return;
        }
        if !self.peers.is_empty() {
            let shared = Arc::new(PeerBatch { host: std::mem::take(host), ftp });
            for p in &self.peers {
                match p.try_send(shared.clone()) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => self.dropped += shared.len() as u64,
                    // A peer that stopped needs nothing more.
                    Err(TrySendError::Disconnected(_)) => {}
                }
            }
        }
        host.clear();
    }

    /// Batches received since the last call, handed to `apply` one by one.
    pub fn receive(&self, mut apply: impl FnMut(&PeerBatch)) {
        while let Ok(batch) = self.inbox.try_recv() {
            apply(&batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::hoststate::BitKey;

    fn note(i: u16) -> HostNote {
        HostNote::Xbit { key: BitKey::Host(i, "10.0.0.1".parse().unwrap()), until: None }
    }

    #[test]
    fn every_other_worker_receives_each_note_once() {
        let mut links = mesh(3);
        let mut out = vec![note(1), note(2)];
        links[0].publish(&mut out, Vec::new());
        assert!(out.is_empty());
        let count = |l: &PeerLink| {
            let mut n = 0;
            l.receive(|b| n += b.host.len());
            n
        };
        assert_eq!((count(&links[0]), count(&links[1]), count(&links[2])), (0, 2, 2));
        assert_eq!(count(&links[1]), 0);
    }

    #[test]
    fn a_full_inbox_drops_and_counts() {
        let mut links = mesh(2);
        for _ in 0..INBOX_BATCHES + 3 {
            links[0].publish(&mut vec![note(1), note(2)], Vec::new());
        }
        assert_eq!(links[0].dropped, 6);
        let mut alone = PeerLink::alone();
        alone.publish(&mut vec![note(1)], Vec::new());
        assert_eq!(alone.dropped, 0);
    }
}
