//! File tracking through the HTTP parser: names, sizes, digests, states,
//! as Suricata 8 reports them for the same traffic (checked against the
//! reference engine on hand-made captures).

use super::*;
use crate::app::http::{HttpConfig, HttpConn, HttpEvent, HttpTx};

fn cfg(hashes: HashKinds) -> HttpConfig {
    HttpConfig {
        tracking: FileTracking { enabled: true, hashes, sha256_on_truncate: hashes.sha256, store: None },
        ..HttpConfig::default()
    }
}

fn all_hashes() -> HashKinds {
    HashKinds { md5: true, sha1: true, sha256: true }
}

/// Runs a request and a response through a connection, each in pieces
/// of `step` bytes; `close` ends both directions afterwards.
fn run(cfg: &HttpConfig, req: &[u8], resp: &[u8], step: usize, close: bool) -> HttpConn {
    let mut c = HttpConn::new();
    let mut ev: Vec<HttpEvent> = Vec::new();
    for part in req.chunks(step.max(1)) {
        c.parse(cfg, 0, part, &mut ev);
    }
    for part in resp.chunks(step.max(1)) {
        c.parse(cfg, 1, part, &mut ev);
    }
    if close {
        c.close(cfg, 0, &mut ev);
        c.close(cfg, 1, &mut ev);
    }
    c
}

fn tx(c: &HttpConn, id: u64) -> &HttpTx {
    c.tx(id).expect("transaction")
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

const GET: &[u8] = b"GET /dir/a%20b.exe?x=1 HTTP/1.1\r\nHost: h\r\n\r\n";

#[test]
fn a_response_body_is_a_file_named_by_the_uri_path_with_its_digests() {
    let c = run(&cfg(all_hashes()), GET, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 1000, false);
    let f = &tx(&c, 0).response.files[0];
    assert_eq!(f.name, b"/dir/a b.exe");
    assert_eq!((f.size, f.gaps, f.state), (3, false, FileState::Closed));
    assert_eq!(hex(&f.md5.unwrap()), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(hex(&f.sha1.unwrap()), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(hex(&f.sha256.unwrap()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn content_disposition_names_the_file_and_digests_are_off_unless_asked() {
    let resp =
        b"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"eicar.txt\"\r\nContent-Length: 2\r\n\r\nok";
    let c = run(&cfg(HashKinds::default()), GET, resp, 7, false);
    let f = &tx(&c, 0).response.files[0];
    assert_eq!(f.name, b"eicar.txt");
    assert!(f.md5.is_none() && f.sha1.is_none() && f.sha256.is_none());
}

#[test]
fn chunked_and_gzip_bodies_count_decoded_bytes_up_to_the_body_limit() {
    use std::io::Write;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let z = gz.finish().unwrap();
    let mut resp = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let mut wire = 0;
    for piece in z.chunks(1000) {
        let head = format!("{:x}\r\n", piece.len());
        wire += head.len() + piece.len() + 2;
        resp.extend_from_slice(head.as_bytes());
        resp.extend_from_slice(piece);
        resp.extend_from_slice(b"\r\n");
    }
    resp.extend_from_slice(b"0\r\n\r\n");
    wire += 3;
    let mut cfg = cfg(all_hashes());
    cfg.decompressed_limit = 1 << 30;
    for step in [1, 333, 1 << 20] {
        // The default limit (100 KiB, Suricata's): the file is followed
        // that far and ends truncated (only sha256 is finalised then).
        let c = run(&cfg, GET, &resp, step, false);
        let t = tx(&c, 0);
        let f = &t.response.files[0];
        let limit = cfg.response_body_limit;
        assert_eq!(f.size, limit as u64, "step {step}");
        assert_eq!(f.state, FileState::Truncated, "step {step}");
        assert_eq!((f.md5, f.sha256), (None, Some(sha2::Sha256::digest(&data[..limit]).into())));
        assert_eq!(t.response.body.len(), cfg.response_body_limit);
        // `http.length`: as sent, chunk framing included.
        assert_eq!(t.response.body_wire_len, wire as u64, "step {step}");
        // No limit: the whole file, hashed.
        let unlimited = HttpConfig { response_body_limit: 0, ..cfg.clone() };
        let c = run(&unlimited, GET, &resp, step, false);
        let f = &tx(&c, 0).response.files[0];
        assert_eq!(f.size, data.len() as u64, "step {step}");
        assert_eq!(f.state, FileState::Closed);
        assert_eq!(f.sha256, Some(sha2::Sha256::digest(&data).into()));
    }
}

#[test]
fn a_body_exactly_at_the_limit_is_a_whole_file() {
    let cfg = HttpConfig { response_body_limit: 10, ..cfg(all_hashes()) };
    let c = run(&cfg, GET, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 3, false);
    let f = &tx(&c, 0).response.files[0];
    assert_eq!((f.size, f.state), (10, FileState::Closed));
    let c = run(&cfg, GET, b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a", 3, false);
    let f = &tx(&c, 0).response.files[0];
    assert_eq!((f.size, f.state), (10, FileState::Truncated));
}

#[test]
fn multipart_parts_with_a_file_name_are_files() {
    let body: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"one.txt\"\r\nContent-Type: text/plain\r\n\r\nfile one\r\ndata\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=empty.bin\r\n\r\n\r\n\
--XyZ--\r\n";
    let mut req = format!(
        "POST /up HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=\"XyZ\"\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    for step in [1, 5, 4096] {
        let c = run(&cfg(all_hashes()), &req, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", step, false);
        let files = &tx(&c, 0).request.files;
        assert_eq!(files.len(), 2, "step {step}");
        assert_eq!(files[0].name, b"one.txt");
        assert_eq!(files[0].size, 14);
        assert_eq!(files[0].md5, Some(md5::Md5::digest(b"file one\r\ndata").into()));
        assert_eq!((&files[1].name[..], files[1].size, files[1].state), (&b"empty.bin"[..], 0, FileState::Closed));
    }
}

#[test]
fn a_multipart_part_cut_by_the_end_of_the_connection_is_truncated() {
    let req = b"POST /up HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 500\r\n\r\n\
--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"cut.txt\"\r\n\r\npartial data";
    let c = run(&cfg(all_hashes()), req, b"", 1000, true);
    let f = &tx(&c, 0).request.files[0];
    assert_eq!((&f.name[..], f.size, f.state), (&b"cut.txt"[..], 12, FileState::Truncated));
    assert!(f.md5.is_none(), "no digest of a truncated file");
    assert!(f.sha256.is_some(), "sha256 when forced, as Suricata");
}

#[test]
fn put_and_post_bodies_are_files_get_bodies_are_not() {
    let put = b"PUT /x/put.bin?z HTTP/1.1\r\nContent-Length: 7\r\n\r\nPUTDATA";
    let c = run(&cfg(HashKinds::default()), put, b"", 1000, false);
    let f = &tx(&c, 0).request.files[0];
    assert_eq!((&f.name[..], f.size), (&b"/x/put.bin"[..], 7));
    let post =
        b"POST /form HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1";
    let c = run(&cfg(HashKinds::default()), post, b"", 1000, false);
    assert_eq!(tx(&c, 0).request.files[0].name, b"/form");
    let get = b"GET /g HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    let c = run(&cfg(HashKinds::default()), get, b"", 1000, false);
    assert!(tx(&c, 0).request.files.is_empty());
}

#[test]
fn truncation_follows_libhtp_at_close() {
    let h = cfg(HashKinds::default());
    // A Content-Length body cut by the close: libhtp completes it.
    let c = run(&h, GET, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 1000, true);
    assert_eq!(tx(&c, 0).response.files[0].state, FileState::Closed);
    // A chunked body without its last chunk: truncated.
    let c = run(&h, GET, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 1000, true);
    let f = &tx(&c, 0).response.files[0];
    assert_eq!((f.size, f.state), (5, FileState::Truncated));
    // Closed inside chunk data: completed (libhtp).
    let c = run(&h, GET, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nhello", 1000, true);
    assert_eq!(tx(&c, 0).response.files[0].state, FileState::Closed);
    // The last chunk without the end of the trailers: complete.
    let c = run(&h, GET, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n", 1000, true);
    assert_eq!(tx(&c, 0).response.files[0].state, FileState::Closed);
    // A last chunk size line without its LF: truncated, and not counted.
    let c = run(&h, GET, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r", 1000, true);
    let t = tx(&c, 0);
    assert_eq!((t.response.files[0].state, t.response.body_wire_len), (FileState::Truncated, 10));
    // A request body cut short: truncated.
    let c = run(&h, b"PUT /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", b"", 1000, true);
    assert_eq!(tx(&c, 0).request.files[0].state, FileState::Truncated);
}

#[test]
fn a_gap_in_a_content_length_body_counts_in_the_size_and_truncates() {
    let h = cfg(all_hashes());
    let mut c = HttpConn::new();
    let mut ev = Vec::new();
    c.parse(&h, 0, GET, &mut ev);
    c.parse(&h, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nhello", &mut ev);
    c.gap(&h, 1, 10, &mut ev);
    c.parse(&h, 1, b"0123456789abcde", &mut ev);
    let t = tx(&c, 0);
    let f = &t.response.files[0];
    assert_eq!((f.size, f.gaps, f.state), (30, true, FileState::Truncated));
    assert!(f.md5.is_none() && f.sha256.is_none(), "no digest over a hole");
    assert_eq!(t.response.body_wire_len, 30);
}

#[test]
fn no_file_without_a_name_or_without_body_bytes() {
    let h = cfg(HashKinds::default());
    let c = run(
        &h,
        b"GET http://example.com HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        100,
        false,
    );
    assert!(tx(&c, 0).response.files.is_empty(), "an absolute URI without a path");
    let c = run(&h, GET, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100, false);
    assert!(tx(&c, 0).response.files.is_empty());
    // A response without request: libhtp's placeholder URI names it.
    let c = run(&h, b"", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 100, false);
    assert_eq!(tx(&c, 0).response.files[0].name, b"/libhtp::request_uri_not_seen");
    // Files are not tracked at all unless asked.
    let c = run(&HttpConfig::default(), GET, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 100, false);
    assert!(tx(&c, 0).response.files.is_empty());
}

#[test]
fn content_disposition_like_suricata() {
    let f = |v: &[u8]| content_disposition_filename(v).map(<[u8]>::to_vec);
    assert_eq!(f(b"attachment; filename=\"eicar.txt\""), Some(b"eicar.txt".to_vec()));
    assert_eq!(f(b"attachment; FILENAME=foo.exe; size=3"), Some(b"foo.exe".to_vec()));
    assert_eq!(f(b"filename=\"a;b.txt\""), Some(b"a;b.txt".to_vec()));
    assert_eq!(f(b"attachment;filename=\"\""), Some(Vec::new()));
    assert_eq!(f(b"attachment; filename*=UTF-8''bar.txt"), None);
    assert_eq!(f(b"attachment"), None);
    assert_eq!(f(b""), None);
}

#[test]
fn names_are_bounded_and_counted() {
    let mut stats = FileStats::default();
    let cfg = FilesConfig { max_name_bytes: 4, ..FilesConfig::default() };
    let f = File::open(b"/abcdef", &cfg, &FileTracking::default(), &mut stats);
    assert_eq!(f.name, b"/abc");
    assert_eq!(stats.names_cut, 1);
}
