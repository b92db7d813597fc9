-- Weekly retention cohorts: users grouped by the week (Monday, UTC) of their first message in
-- [since, until); for each later week, how many of them wrote again. Weeks are computed from
-- epoch seconds (1970-01-05 was a Monday) rather than DATE_TRUNC(..., WEEK(MONDAY)), which
-- runs the same on BigQuery and on the local emulator.
WITH activity AS (
  SELECT DISTINCT
    tenant_id,
    user_id,
    UNIX_SECONDS(created_at) - MOD(UNIX_SECONDS(created_at) - 345600, 604800) AS week_start
  FROM `${project}.${dataset}.messages_dedup`
  WHERE created_at >= @since AND created_at < @until AND role = 'user'
),
cohorts AS (
  SELECT tenant_id, user_id, MIN(week_start) AS cohort_start
  FROM activity
  GROUP BY tenant_id, user_id
),
sizes AS (
  SELECT tenant_id, cohort_start, COUNT(*) AS cohort_users
  FROM cohorts
  GROUP BY tenant_id, cohort_start
)
SELECT
  c.tenant_id,
  DATE(TIMESTAMP_SECONDS(c.cohort_start)) AS cohort_week,
  CAST((a.week_start - c.cohort_start) / 604800 AS INT64) AS weeks_after,
  s.cohort_users,
  COUNT(*) AS active_users,
  ROUND(COUNT(*) / s.cohort_users, 4) AS retention
FROM cohorts AS c
JOIN activity AS a ON a.tenant_id = c.tenant_id AND a.user_id = c.user_id
JOIN sizes AS s ON s.tenant_id = c.tenant_id AND s.cohort_start = c.cohort_start
GROUP BY c.tenant_id, cohort_week, weeks_after, s.cohort_users
ORDER BY c.tenant_id, cohort_week, weeks_after
