-- One row per message: the latest copy of each message_id (Pub/Sub delivers at least once and
-- BigQuery's insertId dedup is best effort), minus everything the erasure ledger covers, so an
-- erasure hides the data at once even before the DML delete can run.
SELECT m.*
FROM `${project}.${dataset}.messages` AS m
WHERE NOT EXISTS (
  SELECT 1
  FROM `${project}.${dataset}.erasures` AS e
  WHERE e.tenant_id = m.tenant_id
    AND e.user_id = m.user_id
    AND (e.session_id = m.session_id OR (e.session_id IS NULL AND m.created_at <= e.erased_at))
)
QUALIFY ROW_NUMBER() OVER (PARTITION BY m.message_id ORDER BY m.ingested_at DESC) = 1
