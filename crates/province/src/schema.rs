//! The project's schema on the PostgreSQL side: numbered migrations under
//! `crates/province/migrations/`, applied in order inside one transaction under an advisory
//! lock (two hubs starting at once apply each migration once), recorded in
//! `province.schema_migrations`.

use tokio_postgres::Client;

use crate::{Error, Result};

/// Numbered migrations: the index + 1 is the version.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_schema.sql",
        include_str!("../migrations/0001_schema.sql"),
    ),
    (
        "0002_views.sql",
        include_str!("../migrations/0002_views.sql"),
    ),
];

/// The schema version this code writes and reads.
pub const LATEST: i32 = MIGRATIONS.len() as i32;

/// Any 64-bit number only Gõ Cửa takes as an advisory lock.
const LOCK: i64 = 0x676f_6375_6170_7276;

/// The version the database holds (0: none yet).
pub async fn version(client: &Client) -> Result<i32> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('province.schema_migrations') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM province.schema_migrations",
            &[],
        )
        .await?
        .get(0))
}

/// Brings the schema up to [`LATEST`]; returns the migrations applied. A database already
/// current is only read, so a ward's role needs no right to create anything.
pub async fn migrate(client: &mut Client) -> Result<Vec<&'static str>> {
    let v = version(client).await?;
    if v > LATEST {
        return Err(Error::SchemaTooNew(v));
    }
    if v == LATEST {
        return Ok(Vec::new());
    }
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS province;
         CREATE TABLE IF NOT EXISTS province.schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let v: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM province.schema_migrations",
            &[],
        )
        .await?
        .get(0);
    if v > LATEST {
        return Err(Error::SchemaTooNew(v));
    }
    let mut applied = Vec::new();
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(v as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO province.schema_migrations (version, name) VALUES ($1, $2)",
            &[&(i as i32 + 1), name],
        )
        .await?;
        applied.push(*name);
    }
    tx.commit().await?;
    Ok(applied)
}
