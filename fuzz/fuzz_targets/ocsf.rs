//! The EVE → OCSF transform (`ocsf` sink): whatever bytes it is handed, it
//! never panics; what it maps is an object of the class it says, with the
//! required attributes OCSF 1.1.0 wants, `type_uid` = class × 100 +
//! activity, and fits the class's fixed Arrow schema (strict decoding).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mirrorids::output::ocsf::{schema, transform};

fuzz_target!(|data: &[u8]| {
    let Ok(m) = transform(data) else { return };
    let e = &m.event;
    let uid = e["class_uid"].as_u64().unwrap();
    assert_eq!(uid, m.class.uid());
    assert_eq!(e["type_uid"].as_u64().unwrap(), uid * 100 + e["activity_id"].as_u64().unwrap());
    for k in ["category_uid", "severity_id", "time", "metadata"] {
        assert!(e.get(k).is_some(), "no {k}");
    }
    assert_eq!(e["metadata"]["version"], "1.1.0");
    let mut d = arrow_json::ReaderBuilder::new(schema::of(m.class)).with_strict_mode(true).build_decoder().unwrap();
    d.serialize(std::slice::from_ref(e)).unwrap();
    assert_eq!(d.flush().unwrap().unwrap().num_rows(), 1);
});
