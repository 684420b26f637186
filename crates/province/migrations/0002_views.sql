-- Province schema v2: views that answer the steering committee's questions. Percentages are
-- truncated to two decimals as its reports write them (a target is never shown as reached
-- before it is), zero when there is nothing to divide by: `province.pct`, like the wards' own
-- `ratio_percent`.

CREATE FUNCTION province.pct(part bigint, whole bigint) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN whole IS NULL OR whole = 0 OR part IS NULL THEN 0::numeric
               ELSE trunc(part * 10000 / whole)::numeric / 100 END $$;

-- One row per ward: its own ward row, targets and shares.
CREATE VIEW province.ward_table AS
SELECT w.ward_code, w.ward_name, w.district, w.as_of, w.received_at, w.report_seq,
       w.campaign_start, w.campaign_end,
       p.households, p.visited_households, p.eligible, p.cccd, p.level2, p.activated, p.guided,
       w.target_cccd, w.target_level2, w.target_activated,
       province.pct(p.activated, p.eligible) AS activated_pct,
       province.pct(p.cccd, w.target_cccd) AS cccd_of_target_pct,
       province.pct(p.level2, w.target_level2) AS level2_of_target_pct,
       province.pct(p.activated, w.target_activated) AS activated_of_target_pct,
       (SELECT count(*) FROM province.household_status h
         WHERE h.ward_code = w.ward_code AND h.n_open > 0) AS open_households
FROM province.wards w
JOIN province.ward_progress p ON p.ward_code = w.ward_code AND p.dimension = 'ward';

-- Wards ranked for friendly competition (thi đua) as a ward ranks its teams: by share of eligible
-- residents activated (in hundredths of a percent), then by residents activated, then by name.
CREATE VIEW province.ward_ranking AS
SELECT row_number() OVER (
           ORDER BY CASE WHEN eligible = 0 THEN 0 ELSE activated::bigint * 10000 / eligible END DESC,
                    activated DESC, ward_name, ward_code) AS rank,
       t.*
FROM province.ward_table t;

-- Wards behind their activation target: fewer activated than the target's share of the campaign
-- days gone by on the report's date (all of it after the last day).
CREATE VIEW province.wards_behind AS
SELECT t.*, t.expected_activated - t.activated AS short_of_pace,
       t.target_activated - t.activated AS short_of_target
FROM (SELECT w.*,
             (w.target_activated::bigint
               * LEAST(GREATEST(w.as_of - w.campaign_start + 1, 0), w.campaign_end - w.campaign_start + 1)
               / (w.campaign_end - w.campaign_start + 1))::integer AS expected_activated
      FROM province.ward_table w
      WHERE w.target_activated IS NOT NULL AND w.campaign_start IS NOT NULL
        AND w.campaign_end >= w.campaign_start) t
WHERE t.activated < t.expected_activated;

-- The province's day by day: sums over the wards that have a row for the day.
CREATE VIEW province.daily_trend AS
SELECT day, count(*) AS wards,
       sum(visits)::bigint AS visits,
       sum(households_visited)::bigint AS households_visited,
       sum(new_level2)::bigint AS new_level2,
       sum(new_activations)::bigint AS new_activations,
       sum(cumulative_activated)::bigint AS cumulative_activated
FROM province.ward_daily
GROUP BY day;

-- The whole province: the sum of every ward's row.
CREATE VIEW province.totals AS
SELECT count(*) AS wards,
       COALESCE(sum(households), 0)::bigint AS households,
       COALESCE(sum(visited_households), 0)::bigint AS visited_households,
       COALESCE(sum(eligible), 0)::bigint AS eligible,
       COALESCE(sum(cccd), 0)::bigint AS cccd,
       COALESCE(sum(level2), 0)::bigint AS level2,
       COALESCE(sum(activated), 0)::bigint AS activated,
       COALESCE(sum(guided), 0)::bigint AS guided,
       COALESCE(sum(target_cccd), 0)::bigint AS target_cccd,
       COALESCE(sum(target_level2), 0)::bigint AS target_level2,
       COALESCE(sum(target_activated), 0)::bigint AS target_activated,
       COALESCE(sum(open_households), 0)::bigint AS open_households
FROM province.ward_table;

-- Open households by blocker over the whole province.
CREATE VIEW province.blocker_totals AS
SELECT blocker, count(*) AS wards, sum(households)::bigint AS households
FROM province.ward_blockers
GROUP BY blocker;
