-- The longest conversations of [since, until): at least min_messages messages, longest
-- first, at most max_rows rows. Titles come from the current state of each session (deleted
-- sessions are gone from both views).
WITH per_session AS (
  SELECT
    tenant_id,
    session_id,
    ANY_VALUE(user_id) AS user_id,
    COUNT(*) AS messages,
    MIN(created_at) AS first_message_at,
    MAX(created_at) AS last_message_at,
    COALESCE(SUM(input_tokens), 0) + COALESCE(SUM(output_tokens), 0) AS tokens
  FROM `${project}.${dataset}.messages_dedup`
  WHERE created_at >= @since AND created_at < @until
  GROUP BY tenant_id, session_id
)
SELECT
  p.tenant_id,
  p.session_id,
  p.user_id,
  s.title,
  p.messages,
  p.tokens,
  p.first_message_at,
  p.last_message_at,
  TIMESTAMP_DIFF(p.last_message_at, p.first_message_at, MINUTE) AS duration_minutes
FROM per_session AS p
LEFT JOIN `${project}.${dataset}.sessions_latest` AS s
  ON s.tenant_id = p.tenant_id AND s.session_id = p.session_id
WHERE p.messages >= @min_messages
ORDER BY p.messages DESC, duration_minutes DESC, p.session_id
LIMIT @max_rows
