/**
 * A `LEFT JOIN LATERAL` that adds, for the integration aliased `i`, its key's stored learned rate
 * (`kb.learned_per_window`), when it was last adjusted (`kb.adjusted_at_ms`) and the smallest configured rate among
 * the live integrations on the key (`kb.shared_cap`); all null before the key's first request.
 */
export const KEY_BUDGET_LATERAL = `
  LEFT JOIN LATERAL (
    SELECT k.learned_per_window, (EXTRACT(EPOCH FROM k.adjusted_at) * 1000)::float8 AS adjusted_at_ms,
           (SELECT min(m2.requests_per_window) FROM lacework_budget_members m2
              JOIN integrations i2 ON i2.id = m2.integration_id AND i2.deleted_at IS NULL
             WHERE m2.budget_key = m.budget_key) AS shared_cap
      FROM lacework_budget_members m
      JOIN lacework_key_budgets k ON k.budget_key = m.budget_key AND k.learned_per_window > 0
     WHERE m.integration_id = i.id) kb ON true`;
