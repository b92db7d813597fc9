-- Daily activity: messages, conversations, active users and tokens per UTC day.
-- Parameters: since, until (TIMESTAMP, [since, until)). Reads the deduplicated view, so
-- redelivered events and erased data never count.
SELECT
  DATE(created_at) AS day,
  COUNT(*) AS messages,
  COUNTIF(role = 'user') AS user_messages,
  COUNTIF(role = 'assistant') AS replies,
  COUNT(DISTINCT session_id) AS sessions,
  COUNT(DISTINCT user_id) AS active_users,
  COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens
FROM `${project}.${dataset}.messages_dedup`
WHERE created_at >= @since AND created_at < @until
GROUP BY day
ORDER BY day
