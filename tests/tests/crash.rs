//! A short run of the crash harness in the test command: the real `gocua` hub and phones as
//! separate processes, SIGKILLed at seeded random points for about a minute, synced until quiet,
//! every invariant checked (see `gocua_tests::crash`).

use std::time::Duration;

use gocua_tests::crash::{CrashConfig, find_gocua, run};

#[test]
fn kills_at_random_points_lose_nothing_acknowledged() {
    let gocua = find_gocua().expect("the gocua binary");
    let report = run(CrashConfig {
        seed: 20261122,
        duration: Duration::from_secs(45),
        households: 120,
        gocua,
        dir: None,
        verbose: false,
        restores: false,
    });
    let text = report.render();
    println!("{text}");
    assert!(report.violations.is_empty(), "{text}");
    // The run did what it is for: kills landed in several kinds of command, visits were
    // acknowledged and checked, syncs went through.
    assert!(report.kills.len() >= 3, "{text}");
    assert!(report.visits_acknowledged > 0, "{text}");
    assert!(report.syncs_ok > 0, "{text}");
    assert!(report.checks["acknowledged visit on the hub"] > 0, "{text}");
    assert!(
        report.checks["projection equals rebuild"] as usize == report.phones + 1,
        "{text}"
    );
}
