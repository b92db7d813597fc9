-- The current state of each session that still exists: its most recent change by the session's
-- own clock (events may arrive out of order), minus deleted sessions and erased users.
SELECT s.*
FROM `${project}.${dataset}.sessions` AS s
WHERE NOT EXISTS (
  SELECT 1
  FROM `${project}.${dataset}.erasures` AS e
  WHERE e.tenant_id = s.tenant_id
    AND e.user_id = s.user_id
    AND (e.session_id = s.session_id OR (e.session_id IS NULL AND s.occurred_at <= e.erased_at))
)
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY s.tenant_id, s.session_id
  ORDER BY s.updated_at DESC, s.occurred_at DESC, s.ingested_at DESC
) = 1
