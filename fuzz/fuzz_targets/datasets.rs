//! Dataset and IP reputation file parsers, and the `dataset`, `datarep`
//! and `iprep` keyword values. The first byte picks what the rest is:
//! 0-4 a dataset file of type string, md5, sha256, ipv4, ip; 5 a
//! reputation categories file; 6 a reputation file; 7 keyword values, one
//! per line; 8 a JSON set file (the next byte picks type, format,
//! remove_key and array_key). Every item a dataset file yields must save
//! and load back to the same bytes; every object a JSON file yields must
//! be one line of valid JSON.

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::detect::datasets::file::{format_line, parse_file, parse_line};
use mirrorids::detect::datasets::json::{parse_json_file, JsonLayout};
use mirrorids::detect::reputation::{parse_category_line, parse_rep_line, IpReputation};
use mirrorids::rules::datasets::{parse_datarep, parse_dataset, parse_iprep, DataType, SetFormat};

const TYPES: [DataType; 5] = [DataType::String, DataType::Md5, DataType::Sha256, DataType::Ipv4, DataType::Ip];

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    match kind % 9 {
        k @ 0..=4 => {
            let ty = TYPES[usize::from(k)];
            if let Ok(items) = parse_file(ty, rest) {
                let mut line = String::new();
                for (item, _rep) in items {
                    line.clear();
                    format_line(ty, &item, &mut line);
                    let back = parse_line(ty, line.trim_end().as_bytes());
                    assert_eq!(back.ok().flatten().map(|(k, _)| k), Some(item), "{ty:?} item does not load back");
                }
            }
        }
        5 => {
            for line in String::from_utf8_lossy(rest).lines() {
                black_box(parse_category_line(line).ok());
            }
        }
        6 => {
            let mut rep = IpReputation::default();
            for line in String::from_utf8_lossy(rest).lines() {
                if let Ok(l) = parse_rep_line(line) {
                    rep.add(l);
                }
            }
            for cat in 0..4 {
                black_box(rep.score([10, 0, 0, 1].into(), cat));
                black_box(
                    rep.score(
                        std::net::IpAddr::from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                        cat,
                    ),
                );
            }
        }
        8 => {
            let Some((&opts, file)) = rest.split_first() else { return };
            let layout = JsonLayout {
                format: if opts & 8 == 0 { SetFormat::Json } else { SetFormat::Ndjson },
                value_key: if opts & 16 == 0 { "v".into() } else { "a.v".into() },
                array_key: (opts & 32 != 0).then(|| "r".into()),
                remove_key: opts & 64 != 0,
            };
            let ty = TYPES[usize::from(opts & 7) % TYPES.len()];
            if let Ok(got) = parse_json_file(ty, &layout, file) {
                for (_, object) in got.items {
                    assert!(!object.contains('\n'), "object spans lines: {object}");
                    let v: serde_json::Value = serde_json::from_str(&object).expect("kept object is not JSON");
                    assert!(v.is_object(), "kept value is not an object: {object}");
                }
            }
        }
        _ => {
            for line in String::from_utf8_lossy(rest).lines() {
                black_box((parse_dataset(line).ok(), parse_datarep(line).ok(), parse_iprep(line).ok()));
            }
        }
    }
});
