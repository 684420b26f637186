//! The crash harness from the command line: `cargo run -p gocua-tests --release --bin crash --
//! --seed S --minutes M` runs the real `gocua` hub and phones, SIGKILLs them at seeded random
//! points for M minutes (`--restores`: also replacing the hub by its newest backup), syncs until
//! quiet and checks every invariant; exits 1 on a violation.

use std::path::PathBuf;
use std::time::Duration;

use gocua_tests::crash::{CrashConfig, find_gocua, run};

fn main() {
    let mut seed = 1u64;
    let mut secs = 60.0f64;
    let mut households = 300usize;
    let mut dir: Option<PathBuf> = None;
    let mut verbose = false;
    let mut restores = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage("--seed N")),
            "--minutes" => {
                secs = value()
                    .parse::<f64>()
                    .unwrap_or_else(|_| usage("--minutes M"))
                    * 60.0
            }
            "--seconds" => secs = value().parse().unwrap_or_else(|_| usage("--seconds S")),
            "--households" => {
                households = value().parse().unwrap_or_else(|_| usage("--households N"))
            }
            "--dir" => dir = Some(PathBuf::from(value())),
            "--verbose" | "-v" => verbose = true,
            "--restores" => restores = true,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let gocua = find_gocua().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let report = run(CrashConfig {
        seed,
        duration: Duration::from_secs_f64(secs),
        households,
        gocua,
        dir,
        verbose,
        restores,
    });
    print!("{}", report.render());
    if !report.violations.is_empty() {
        std::process::exit(1);
    }
}

fn usage(why: &str) -> ! {
    eprintln!(
        "{why}\nusage: crash [--seed N] [--minutes M | --seconds S] [--households N] [--dir DIR] [--restores] [--verbose]"
    );
    std::process::exit(2)
}
