use super::*;
use crate::rules::datasets::{parse_datarep, parse_dataset};

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mirrorids-datasets-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kw(v: &str) -> SetKw {
    SetKw::Dataset(parse_dataset(v).unwrap())
}

#[test]
fn rule_declared_set_loads_next_to_the_rules() {
    let d = tmp_dir("load");
    std::fs::write(d.join("ua.lst"), "Y3VybC83LjU4LjA=\nd2dldA==\n").unwrap();
    let rules = d.join("x.rules");
    let mut store = DatasetStore::from_config(&DatasetsConfig::default());
    let c = store.resolve(&kw("isset,ua, type string, load ua.lst"), &rules.display().to_string()).unwrap();
    assert!(store.check(&c, b"wget"));
    assert!(!store.check(&c, b"wge"));
    assert!(!store.check(&c, b""));
    // Same name, no options: the same set; names are case-insensitive.
    let c2 = store.resolve(&kw("isnotset,UA"), "x.rules").unwrap();
    assert_eq!(c2.set, c.set);
    assert!(store.check(&c2, b"lynx"));
    // A different type or file for an existing set is refused.
    assert!(matches!(store.resolve(&kw("isset,ua, type md5"), "x.rules"), Err(DatasetError::TypeMismatch { .. })));
    assert!(matches!(
        store.resolve(&kw("isset,ua, type string, load other.lst"), "x.rules"),
        Err(DatasetError::FileMismatch { .. })
    ));
    assert!(matches!(store.resolve(&kw("isset,nosuch"), "x.rules"), Err(DatasetError::Undefined(_))));
}

#[test]
fn bad_line_names_file_and_line() {
    let d = tmp_dir("bad");
    std::fs::write(d.join("h.lst"), "d41d8cd98f00b204e9800998ecf8427e\nnot-a-hash\n").unwrap();
    let mut store = DatasetStore::from_config(&DatasetsConfig::default());
    let e = store.resolve(&kw("isset,h, type md5, load h.lst"), &d.join("x.rules").display().to_string());
    let msg = e.unwrap_err().to_string();
    assert!(msg.contains("h.lst") && msg.contains("line 2"), "{msg}");
}

#[test]
fn set_and_unset_at_runtime_within_memcap() {
    let mut store = DatasetStore::from_config(&DatasetsConfig::default());
    let set = store.resolve(&kw("set,seen, type string, memcap 200"), "x.rules").unwrap();
    let unset = store.resolve(&kw("unset,seen"), "x.rules").unwrap();
    let isset = store.resolve(&kw("isset,seen"), "x.rules").unwrap();
    assert!(store.check(&set, b"a"));
    assert!(!store.check(&set, b"a"), "set matches only when the item is new");
    assert!(store.check(&isset, b"a"));
    assert!(store.check(&unset, b"a"));
    assert!(!store.check(&unset, b"a"));
    assert!(!store.check(&isset, b"a"));
    // 200 bytes hold 4 one-byte items at 49 bytes each, not 5.
    let added = (0..5u8).filter(|i| store.check(&set, &[b'0' + i])).count();
    assert_eq!(added, 4);
    assert_eq!(store.overflow(), 1);
}

#[test]
fn configured_sets_state_and_datarep() {
    let d = tmp_dir("cfg");
    std::fs::write(d.join("rep.csv"), "ZXZpbC5jb20=,90\nb2suY29t,10\n").unwrap();
    let mut cfg = DatasetsConfig { data_dir: Some(d.clone()), ..DatasetsConfig::default() };
    cfg.sets.insert(
        "rep".into(),
        SetDecl {
            data_type: DataType::String,
            load: Some("rep.csv".into()),
            state: None,
            memcap: None,
            hashsize: None,
        },
    );
    cfg.sets.insert(
        "seen".into(),
        SetDecl { data_type: DataType::Ipv4, load: None, state: Some("seen.lst".into()), memcap: None, hashsize: None },
    );
    let mut store = DatasetStore::from_config(&cfg);
    let gt = store.resolve(&SetKw::Datarep(parse_datarep("rep, >, 50").unwrap()), "x.rules").unwrap();
    assert!(store.check(&gt, b"evil.com"));
    assert!(!store.check(&gt, b"ok.com"));
    assert!(!store.check(&gt, b"unknown.com"));
    let set = store.resolve(&kw("set,seen"), "x.rules").unwrap();
    assert!(store.check(&set, &[10, 0, 0, 1]));
    assert!(!store.check(&set, &[10, 0, 0]), "wrong size for ipv4");
    assert!(store.save().is_empty());
    assert_eq!(std::fs::read_to_string(d.join("seen.lst")).unwrap(), "10.0.0.1\n");
    // The saved state loads at the next start.
    let store = DatasetStore::from_config(&cfg);
    assert_eq!(store.sets().iter().find(|s| s.name == "seen").unwrap().len(), 1);
}

#[test]
fn rule_write_policy() {
    let mut store = DatasetStore::from_config(&DatasetsConfig::default());
    assert!(store.resolve(&kw("set,a, type string, state /tmp/a.lst"), "x.rules").is_err());
    assert!(store.resolve(&kw("set,b, type string, save ../b.lst"), "x.rules").is_err());
    let cfg = DatasetsConfig {
        rules: RuleFilePolicy { allow_write: false, ..RuleFilePolicy::default() },
        ..DatasetsConfig::default()
    };
    let mut store = DatasetStore::from_config(&cfg);
    assert!(store.resolve(&kw("set,c, type string, save c.lst"), "x.rules").is_err());
}

#[test]
fn workers_changing_a_set_at_once_agree_and_keep_the_memcap() {
    // Two-byte items cost 50 bytes each: a 2000-byte memcap holds 40.
    let mut store = DatasetStore::from_config(&DatasetsConfig::default());
    let set = store.resolve(&kw("set,shared, type string, memcap 2000"), "x.rules").unwrap();
    let isset = store.resolve(&kw("isset,shared"), "x.rules").unwrap();
    let (store, set) = (&store, &set);
    let added: Vec<usize> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4u8)
            .map(|w| {
                s.spawn(move || {
                    // Every worker offers the same 30 items, then 10 of its own.
                    let mut n = 0;
                    for i in 0..30u8 {
                        n += usize::from(store.check(set, &[b'c', i]));
                    }
                    for i in 0..10u8 {
                        n += usize::from(store.check(set, &[w, i]));
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: usize = added.iter().sum();
    let held = (0..30u8).filter(|&i| store.check(&isset, &[b'c', i])).count()
        + (0..4u8).flat_map(|w| (0..10u8).map(move |i| [w, i])).filter(|k| store.check(&isset, k)).count();
    // Each item added counts once, whichever worker added it, and the set
    // never holds more than its memcap allows.
    assert_eq!(total, held, "adds reported {added:?}");
    assert!(held <= 40, "{held} items in a set with room for 40");
    assert_eq!(store.get(set.set).unwrap().len(), held);
}

#[test]
fn json_sets_hand_their_objects_to_matching_rules() {
    let d = tmp_dir("json");
    std::fs::write(d.join("t.json"), r#"{"r": [{"h": "evil.com", "why": "c2"}, {"x": 1}]}"#).unwrap();
    let rules = d.join("x.rules").display().to_string();
    let mut store = DatasetStore::from_config(&DatasetsConfig::default());
    let opts = "type string, load t.json, format json, value_key h, array_key r";
    let c = store.resolve(&kw(&format!("isset,t, {opts}, context_key info")), &rules).unwrap();
    let mut hits = Vec::new();
    assert!(store.check_with(&c, b"evil.com", &mut hits));
    assert_eq!(hits.len(), 1);
    assert_eq!((&*hits[0].key, &*hits[0].object), ("info", r#"{"h":"evil.com","why":"c2"}"#));
    assert!(!store.check_with(&c, b"ok.com", &mut hits));
    assert_eq!(hits.len(), 1, "no object for a miss");
    // isnotset and a plain isset by name carry no object.
    let not = store.resolve(&kw("isnotset,t"), &rules).unwrap();
    assert!(store.check_with(&not, b"ok.com", &mut hits) && hits.len() == 1);
    let plain = store.resolve(&kw("isset,t"), &rules).unwrap();
    assert!(store.check_with(&plain, b"evil.com", &mut hits) && hits.len() == 1);
    // The set is load-only, and must be read as it was.
    assert!(store.resolve(&kw("set,t, type string"), &rules).is_err());
    let rk = format!("isset,t, {opts}, context_key info, remove_key");
    assert!(matches!(store.resolve(&kw(&rk), &rules), Err(DatasetError::Setup { .. })));
    // The objects count toward the memcap; a bad file names its line.
    let small = format!("isset,small, {opts}, context_key i, memcap 60");
    assert!(matches!(store.resolve(&kw(&small), &rules), Err(DatasetError::File { .. })));
    std::fs::write(d.join("bad.json"), "[{\"h\": \"a\"},\n {\"h\": }]").unwrap();
    let e =
        store.resolve(&kw("isset,bad, type string, load bad.json, format json, value_key h, context_key i"), &rules);
    let e = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("bad.json") && e.contains("line 2"), "{e}");
}

#[test]
fn hits_of_finds_a_signatures_block() {
    let hit = |sig| SetHit { sig, field: ContextField::Context, key: "k".into(), object: "{}".into() };
    let hits = [hit(3), hit(5), hit(5), hit(9)];
    assert_eq!(hits_of(&hits, 5).len(), 2);
    assert!(hits_of(&hits, 4).is_empty());
}
