-- Token cost by model and tenant over [since, until).
-- The price table is a parameter (ARRAY<STRUCT<model STRING, input_usd_per_million FLOAT64,
-- output_usd_per_million FLOAT64>>): list prices change and contracts differ, so none is baked
-- in (see README.md for how to pass it). Models missing from the table show a NULL cost.
WITH usage AS (
  SELECT
    tenant_id,
    model,
    COUNT(*) AS replies,
    COALESCE(SUM(input_tokens), 0) AS input_tokens,
    COALESCE(SUM(output_tokens), 0) AS output_tokens
  FROM `${project}.${dataset}.messages_dedup`
  WHERE created_at >= @since AND created_at < @until
    AND role = 'assistant' AND model IS NOT NULL
  GROUP BY tenant_id, model
)
SELECT
  u.tenant_id,
  u.model,
  u.replies,
  u.input_tokens,
  u.output_tokens,
  ROUND(
    u.input_tokens / 1e6 * p.input_usd_per_million
    + u.output_tokens / 1e6 * p.output_usd_per_million,
    6
  ) AS cost_usd
FROM usage AS u
LEFT JOIN UNNEST(@prices) AS p ON p.model = u.model
ORDER BY u.tenant_id, cost_usd DESC, u.model
