//! What the command-table tests share: a replica in a temporary folder with the clock at the
//! generated ward's evening, and calls that must succeed or must fail.

// Each test file that includes this module uses only some of it.
#![allow(dead_code)]
use gocua_app::{App, CommandError};
use gocua_domain::{Lang, Timestamp};
use serde_json::{Value, json};

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub app: App,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::open(&dir.path().join("replica.sqlite"), Lang::Vi).unwrap();
        // The generated ward's "today", in the urban visiting window.
        app.set_clock(Some(Timestamp::parse_local("2026-11-22 19:00").unwrap()));
        Fixture { _dir: dir, app }
    }

    /// A fixture holding the small generated ward (the identity becomes one of its leads).
    pub fn demo() -> Fixture {
        let mut f = Fixture::new();
        let report = f.ok("generate_demo", json!({"seed": 1, "households": 60}));
        assert!(report["households"].as_u64().unwrap() >= 60, "{report}");
        f
    }

    pub fn ok(&mut self, cmd: &str, args: Value) -> Value {
        match self.app.dispatch_json(cmd, args.clone()) {
            Ok(v) => v,
            Err(e) => panic!("{cmd} {args}: {e:?}"),
        }
    }

    pub fn err(&mut self, cmd: &str, args: Value) -> CommandError {
        match self.app.dispatch_json(cmd, args.clone()) {
            Ok(v) => panic!("{cmd} {args} should fail, got {v}"),
            Err(e) => e,
        }
    }
}
