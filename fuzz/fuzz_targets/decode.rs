//! The packet decoder and IP defragmentation, on every link type we read.
//!
//! Input: a link-type selector byte (an index into `LINKTYPES`, so every
//! link type is as likely as any other whatever the mutations; the next
//! multiple of the count says whether Teredo is looked for on every UDP
//! port rather than only 3544, so mutated payloads on any port reach the
//! Teredo checks and the IPv6 walk behind them), then
//! frames, each a u16 BE length and its bytes (the last one takes what is
//! left). Each frame is decoded; fragments go to one defragmenter shared by
//! the whole input, so that fragments of one datagram meet, and a rebuilt
//! datagram is decoded again as the engine does. Checks: nothing panics,
//! and what the decoder hands on (payload, layer offsets) lies within the
//! frame it describes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mirrorids::decode::defrag::{DefragConfig, Defragmenter};
use mirrorids::decode::teredo::TeredoPorts;
use mirrorids::decode::{decode_frame, decode_reassembled, DecodeConfig, Decoded, Outcome};
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;
use mirrorids_fuzz::take_record;

const LINKTYPES: [LinkType; 14] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::RAW_BSD,
    LinkType::RAW_OPENBSD,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::C_HDLC,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::PPP,
    LinkType::PPP_HDLC,
    LinkType::GRE_OVER_IP,
];

fn check(frame: &[u8], d: &Decoded) {
    assert!((d.payload_off + d.payload_len) as usize <= frame.len(), "payload beyond the frame");
    assert!(d.l3_off as usize <= frame.len() && d.pkt_off as usize <= frame.len());
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut rest)) = data.split_first() else { return };
    let linktype = LINKTYPES[usize::from(sel) % LINKTYPES.len()];
    let mut cfg = DecodeConfig::default();
    if (usize::from(sel) / LINKTYPES.len()) % 2 == 1 {
        cfg.teredo = TeredoPorts::Any;
    }
    let mut defrag = Defragmenter::new(DefragConfig::default());
    let (mut d, mut d2) = (Decoded::default(), Decoded::default());
    let mut rebuilt = Vec::new();
    let mut n = 0u64;
    while !rest.is_empty() {
        let frame = take_record(&mut rest);
        n += 1;
        let now = Timestamp::from_secs_micros(n, 0);
        match decode_frame(frame, linktype, &cfg, &mut d) {
            Ok(Outcome::Packet) => check(frame, &d),
            Ok(Outcome::Fragment(f)) => {
                rebuilt.clear();
                if let Some(r) = defrag.insert(frame, &f, &d, now, &mut rebuilt) {
                    if decode_reassembled(&rebuilt, r.l3_off, &r.ctx, &cfg, &mut d2).is_ok() {
                        check(&rebuilt, &d2);
                    }
                }
            }
            Err(_) => {}
        }
    }
});
