//! No resident's or volunteer's name, CCCD or phone number leaves the ward: after several hubs
//! reported into a real PostgreSQL, a scan of the whole province schema (every column's name and
//! type, every text value) finds none of the wards' personal data; also the credentials and
//! TLS rules of the connection (no password in a URL, a private password file, TLS verified
//! against the province's certificate, TLS used whenever the server offers it).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use gocua_province::testing::{Cluster, PASSWORD, distinct_ward_seeds, ward_hub};
use gocua_province::{Outcome, ReportOptions, Target};
use gocua_wardgen::WardSpec;

const AS_OF: time::Date = time::macros::date!(2026 - 11 - 22);

/// Runs of digits at least this long are what CCCD (12) and phone numbers (10) look like.
fn digit_runs(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|r| r.len() >= 9)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_column_anywhere_holds_a_name_cccd_or_phone_number() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let mut names: HashSet<String> = HashSet::new();
    let mut numbers: HashSet<String> = HashSet::new();
    let mut household_ids: HashSet<String> = HashSet::new();
    for seed in distinct_ward_seeds(2, |s| WardSpec::small(s).with_households(150)) {
        let spec = WardSpec::small(seed).with_households(150);
        let (store, g, held) = ward_hub(&dir.path().join(format!("{seed}.sqlite")), &spec);
        let store = Arc::new(Mutex::new(store));
        for h in &g.households {
            household_ids.insert(h.id.to_string());
            names.insert(h.head.clone());
            names.insert(h.address.clone());
            for r in &h.residents {
                names.insert(r.full_name.clone());
                if !r.cccd_number.is_empty() {
                    numbers.insert(r.cccd_number.clone());
                }
                if !r.phone.is_empty() {
                    numbers.insert(r.phone.chars().filter(char::is_ascii_digit).collect());
                }
            }
        }
        for v in &g.volunteers {
            names.insert(v.name.clone());
            numbers.insert(v.phone.chars().filter(char::is_ascii_digit).collect());
        }
        let opts = ReportOptions {
            as_of: AS_OF,
            now: 1_795_000_000,
            full: false,
        };
        gocua_province::report(&store, &target, opts).await.unwrap();
        for v in &held {
            store.lock().unwrap().record_visit(v).unwrap();
        }
        let s = gocua_province::report(&store, &target, opts).await.unwrap();
        assert_eq!(s.outcome, Outcome::Applied);
    }
    names.retain(|n| n.chars().count() >= 5);
    assert!(
        names.len() > 300 && numbers.len() > 100,
        "the wards have personal data"
    );

    let client = target.connect().await.unwrap();
    let columns = client
        .query(
            "SELECT c.table_name, c.column_name, c.data_type
             FROM information_schema.columns c
             JOIN information_schema.tables t USING (table_schema, table_name)
             WHERE c.table_schema = 'province' AND t.table_type = 'BASE TABLE'
             ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap();
    assert!(
        columns.len() > 40,
        "the schema was scanned: {}",
        columns.len()
    );
    let mut scanned = 0usize;
    for col in &columns {
        let (table, column, ty): (String, String, String) = (col.get(0), col.get(1), col.get(2));
        let personal = [
            "full_name",
            "phone",
            "address",
            "house_no",
            "head",
            "birth",
            "resident",
            "volunteer",
            "person",
            "cccd_number",
        ];
        assert!(
            !personal.iter().any(|p| column.contains(p)),
            "province.{table}.{column} looks like personal data"
        );
        // A column about CCCD may only count cards, never hold a number.
        if column.contains("cccd") {
            assert_eq!(ty, "integer", "province.{table}.{column} must be a count");
        }
        if ty != "text" && ty != "ARRAY" {
            continue;
        }
        let values = client
            .query(
                &format!(
                    "SELECT DISTINCT {column}::text FROM province.{table} WHERE {column} IS NOT NULL"
                ),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("scan {table}.{column}: {e}"));
        let values: Vec<String> = if ty == "ARRAY" {
            let mut out = Vec::new();
            for v in client
                .query(
                    &format!("SELECT DISTINCT unnest({column}) FROM province.{table}"),
                    &[],
                )
                .await
                .unwrap()
            {
                out.push(v.get::<_, String>(0));
            }
            out
        } else {
            values.iter().map(|r| r.get(0)).collect()
        };
        for v in &values {
            scanned += 1;
            assert!(
                !household_ids.contains(v),
                "province.{table}.{column} holds a household id: {v}"
            );
            for n in &names {
                assert!(
                    !v.contains(n.as_str()),
                    "province.{table}.{column} holds a name or address: {v}"
                );
            }
            // Opaque hex ids may hold digit runs by chance; they are still checked against the
            // ward's real numbers below.
            if !matches!(column.as_str(), "hid" | "report_id" | "hub_id") {
                assert!(
                    digit_runs(v).is_empty(),
                    "province.{table}.{column} holds a long number: {v}"
                );
            }
            for run in digit_runs(v) {
                assert!(!numbers.contains(run), "province.{table}.{column}: {v}");
            }
        }
    }
    assert!(scanned > 300, "the data was scanned: {scanned} values");
}

#[test]
fn a_password_never_comes_from_the_command_line() {
    for url in [
        "postgres://ward:secret@127.0.0.1:5432/province",
        "postgres://ward@127.0.0.1:5432/province?password=secret",
    ] {
        let e = Target::parse(url, None).unwrap_err();
        assert_eq!(e.code(), "password_in_url", "{url}");
    }
    assert_eq!(
        Target::parse("mysql://x@y/z", None).unwrap_err().code(),
        "bad_province_url"
    );
    assert_eq!(
        Target::parse("postgres://x@127.0.0.1/z?sslmode=verify-full", None)
            .unwrap_err()
            .code(),
        "bad_province_url",
        "verify-full needs the province's certificate"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "secret\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = gocua_province::conn::read_password_file(&file).unwrap_err();
    assert_eq!(e.code(), "bad_password_file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        gocua_province::conn::read_password_file(&file).unwrap(),
        "secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_used_when_offered_and_the_certificate_is_checked() {
    let pg = Cluster::start();
    let base = format!(
        "postgres://{}@127.0.0.1:{}/postgres",
        gocua_province::testing::USER,
        pg.port
    );
    let tls_of = |url: String| async move {
        let t = Target::parse(&url, Some(PASSWORD.into())).unwrap();
        let c = t.connect().await?;
        gocua_province::conn::is_tls(&c).await
    };
    assert!(
        tls_of(base.clone()).await.unwrap(),
        "prefer: TLS when offered"
    );
    assert!(tls_of(format!("{base}?sslmode=require")).await.unwrap());
    assert!(tls_of(pg.url("postgres")).await.unwrap(), "verified TLS");
    assert!(
        !tls_of(format!("{base}?sslmode=disable")).await.unwrap(),
        "disable means plain"
    );
    // Another certificate than the server's: refused before any password is sent.
    let other = tempfile::tempdir().unwrap();
    let key = rcgen_free_cert(other.path());
    let e = tls_of(format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        key.display()
    ))
    .await
    .unwrap_err();
    assert_eq!(e.code(), "province_unreachable", "{e}");
}

/// A certificate that is not the cluster's: another cluster's (made and dropped here).
fn rcgen_free_cert(dir: &std::path::Path) -> std::path::PathBuf {
    let other = Cluster::start();
    let path = dir.join("other-ca.pem");
    std::fs::copy(&other.ca, &path).unwrap();
    path
}
