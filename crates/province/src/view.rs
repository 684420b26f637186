//! Reading the province's views (`gocua province`): the wards ranked, the wards behind their
//! targets, the province's totals and its trend per day, as plain rows for the CLI to print.

use serde::Serialize;
use time::Date;
use tokio_postgres::Client;

use crate::Result;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WardLine {
    pub rank: i64,
    pub ward_code: String,
    pub ward_name: String,
    pub district: String,
    #[serde(with = "gocua_domain::time::date_serde")]
    pub as_of: Date,
    pub households: i64,
    pub visited_households: i64,
    pub eligible: i64,
    pub cccd: i64,
    pub level2: i64,
    pub activated: i64,
    pub guided: i64,
    pub target_activated: Option<i64>,
    pub open_households: i64,
    /// Fewer activated than the target's share of the campaign days gone by.
    pub behind: bool,
    pub expected_activated: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub wards: i64,
    pub households: i64,
    pub visited_households: i64,
    pub eligible: i64,
    pub cccd: i64,
    pub level2: i64,
    pub activated: i64,
    pub guided: i64,
    pub target_cccd: i64,
    pub target_level2: i64,
    pub target_activated: i64,
    pub open_households: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrendLine {
    #[serde(with = "gocua_domain::time::date_serde")]
    pub day: Date,
    pub wards: i64,
    pub visits: i64,
    pub households_visited: i64,
    pub new_level2: i64,
    pub new_activations: i64,
    pub cumulative_activated: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProvinceTable {
    pub wards: Vec<WardLine>,
    pub totals: Totals,
    pub trend: Vec<TrendLine>,
}

/// The ranking of wards (`province.ward_ranking`, with `province.wards_behind`).
pub async fn ranking(client: &Client) -> Result<Vec<WardLine>> {
    let rows = client
        .query(
            "SELECT r.rank, r.ward_code, r.ward_name, r.district, r.as_of, r.households,
                    r.visited_households, r.eligible, r.cccd, r.level2, r.activated, r.guided,
                    r.target_activated, r.open_households, b.ward_code IS NOT NULL,
                    b.expected_activated
             FROM province.ward_ranking r
             LEFT JOIN province.wards_behind b USING (ward_code)
             ORDER BY r.rank",
            &[],
        )
        .await?;
    let n = |r: &tokio_postgres::Row, i: usize| -> i64 { i64::from(r.get::<_, i32>(i)) };
    Ok(rows
        .iter()
        .map(|r| WardLine {
            rank: r.get(0),
            ward_code: r.get(1),
            ward_name: r.get(2),
            district: r.get(3),
            as_of: r.get(4),
            households: n(r, 5),
            visited_households: n(r, 6),
            eligible: n(r, 7),
            cccd: n(r, 8),
            level2: n(r, 9),
            activated: n(r, 10),
            guided: n(r, 11),
            target_activated: r.get::<_, Option<i32>>(12).map(i64::from),
            open_households: r.get(13),
            behind: r.get(14),
            expected_activated: r.get::<_, Option<i32>>(15).map(i64::from),
        })
        .collect())
}

pub async fn totals(client: &Client) -> Result<Totals> {
    let r = client
        .query_one(
            "SELECT wards, households, visited_households, eligible, cccd, level2, activated,
                    guided, target_cccd, target_level2, target_activated, open_households
             FROM province.totals",
            &[],
        )
        .await?;
    Ok(Totals {
        wards: r.get(0),
        households: r.get(1),
        visited_households: r.get(2),
        eligible: r.get(3),
        cccd: r.get(4),
        level2: r.get(5),
        activated: r.get(6),
        guided: r.get(7),
        target_cccd: r.get(8),
        target_level2: r.get(9),
        target_activated: r.get(10),
        open_households: r.get(11),
    })
}

pub async fn trend(client: &Client) -> Result<Vec<TrendLine>> {
    let rows = client
        .query(
            "SELECT day, wards, visits, households_visited, new_level2, new_activations,
                    cumulative_activated
             FROM province.daily_trend ORDER BY day",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| TrendLine {
            day: r.get(0),
            wards: r.get(1),
            visits: r.get(2),
            households_visited: r.get(3),
            new_level2: r.get(4),
            new_activations: r.get(5),
            cumulative_activated: r.get(6),
        })
        .collect())
}

/// Everything `gocua province` prints.
pub async fn table(client: &Client) -> Result<ProvinceTable> {
    Ok(ProvinceTable {
        wards: ranking(client).await?,
        totals: totals(client).await?,
        trend: trend(client).await?,
    })
}
