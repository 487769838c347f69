use std::fs::File;
use std::ops::Range;

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;
use crate::output::ocsf::tests::{ALERT, DNS, FLOW, HTTP, NETFLOW};

fn records(lines: &[&str]) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut buf = Vec::new();
    let mut ranges = Vec::new();
    for l in lines {
        let start = buf.len();
        buf.extend_from_slice(l.as_bytes());
        buf.push(b'\n');
        ranges.push(start..buf.len());
    }
    (buf, ranges)
}

fn parquet_opts() -> OcsfOptions {
    OcsfOptions { format: OcsfFormat::Parquet, account_id: "123456789012".into(), ..OcsfOptions::default() }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn options_are_checked() {
    assert!(OcsfOptions::default().validate().is_ok());
    let mut o = parquet_opts();
    assert!(o.validate().is_ok());
    o.account_id = "12345".into();
    assert!(o.validate().unwrap_err().contains("12-digit"));
    let mut o = parquet_opts();
    o.sources.dns_activity = o.sources.http_activity.clone();
    assert!(o.validate().unwrap_err().contains("names two classes"));
    let mut o = parquet_opts();
    o.sources.dns_activity = "../x".into();
    assert!(o.validate().is_err());
    let mut o = parquet_opts();
    o.row_group_rows = 0;
    assert!(o.validate().is_err());
}

#[test]
fn json_lines_one_event_per_record_and_unmapped_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ocsf.json");
    let mut sink = OcsfSink::open(&path, &OcsfOptions::default(), &FileOptions::default()).unwrap();
    let tls = r#"{"event_type":"tls","timestamp":"2024-04-01T12:00:00.000000+0000"}"#;
    let (buf, ranges) = records(&[ALERT, tls, FLOW, "garbage", HTTP, DNS]);
    let refused = sink.deliver(&Records { lines: &buf, ranges: &ranges }).unwrap();
    assert_eq!(refused, 2);
    assert_eq!(sink.take_unmapped(), 2);
    assert_eq!(sink.take_unmapped(), 0);
    sink.close().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let classes: Vec<u64> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["class_uid"].as_u64().unwrap())
        .collect();
    assert_eq!(classes, [2004, 4001, 4002, 4003]);
}

#[test]
fn parquet_files_land_complete_in_the_security_lake_layout() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = parquet_opts();
    opts.row_group_rows = 2;
    let mut sink = OcsfSink::open(dir.path(), &opts, &FileOptions::default()).unwrap();
    let next_day = FLOW.replace("2024-04-01T12:00:02.5", "2024-04-02T00:00:02.5");
    let (buf, ranges) = records(&[ALERT, FLOW, NETFLOW, HTTP, DNS, ALERT, ALERT, &next_day]);
    assert_eq!(sink.deliver(&Records { lines: &buf, ranges: &ranges }).unwrap(), 0);
    sink.flush().unwrap();
    // Nothing is in ext/ but the file the day change closed.
    let before: Vec<PathBuf> = files_under(&dir.path().join("ext"));
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(files_under(&dir.path().join("tmp")).len(), 4);
    sink.close().unwrap();
    assert!(files_under(&dir.path().join("tmp")).is_empty());
    let files = files_under(&dir.path().join("ext"));
    let rel: Vec<String> = files
        .iter()
        .map(|p| {
            let r = p.strip_prefix(dir.path()).unwrap();
            r.parent().unwrap().display().to_string()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "ext/mirrorids-detection-finding/region=us-east-1/accountId=123456789012/eventDay=20240401",
            "ext/mirrorids-dns-activity/region=us-east-1/accountId=123456789012/eventDay=20240401",
            "ext/mirrorids-http-activity/region=us-east-1/accountId=123456789012/eventDay=20240401",
            "ext/mirrorids-network-activity/region=us-east-1/accountId=123456789012/eventDay=20240401",
            "ext/mirrorids-network-activity/region=us-east-1/accountId=123456789012/eventDay=20240402",
        ]
    );
    let mut rows = 0;
    for f in &files {
        assert!(f.extension().is_some_and(|e| e == "parquet"));
        let class = OcsfClass::ALL.into_iter().find(|c| f.to_string_lossy().contains(c.default_source())).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(f).unwrap()).unwrap();
        assert_eq!(reader.schema().fields(), crate::output::ocsf::schema::of(class).fields(), "{}", f.display());
        for b in reader.build().unwrap() {
            rows += b.unwrap().num_rows();
        }
    }
    assert_eq!(rows, 8);
}

#[test]
fn parquet_files_rotate_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = parquet_opts();
    opts.row_group_rows = 1;
    opts.rotate_bytes = 1;
    let mut sink = OcsfSink::open(dir.path(), &opts, &FileOptions::default()).unwrap();
    let (buf, ranges) = records(&[ALERT, ALERT, ALERT]);
    for r in &ranges {
        sink.deliver(&Records { lines: &buf, ranges: std::slice::from_ref(r) }).unwrap();
    }
    sink.close().unwrap();
    assert_eq!(files_under(&dir.path().join("ext")).len(), 3);
}
