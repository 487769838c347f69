//! The capture reader on arbitrary files: pcap in both byte orders and both
//! time resolutions, pcapng with its section, interface, packet and other
//! blocks. A bad file must be an error (or a clean end), never a panic or
//! an allocation the file's length fields ask for; every frame returned
//! lies within what was read.

#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mirrorids::source::pcap::PcapReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = PcapReader::new(Path::new("fuzz.pcap"), Cursor::new(data)) else { return };
    let mut frame = Vec::new();
    // Bounded: every frame consumes input, but a reader that did not move
    // on must show up as a hang here rather than as a slow run.
    for _ in 0..=data.len() {
        frame.clear();
        match r.next_frame(&mut frame) {
            Ok(Some(meta)) => {
                assert_eq!(meta.cap_len as usize, frame.len(), "cap_len and the frame returned differ");
                assert!(frame.len() <= data.len(), "a frame longer than the file");
                assert!(r.offset() <= data.len() as u64, "read past the end of the file");
            }
            Ok(None) | Err(_) => return,
        }
    }
    panic!("more frames than bytes in the file");
});
