export const SEVERITY_ORDER = ['Critical', 'High', 'Medium', 'Low', 'Info'] as const;

/** 1 for Critical through 5 for Info; anything Lacework adds later sorts after Info. */
export function severityRank(severity: string): number {
  const index = SEVERITY_ORDER.indexOf(severity as (typeof SEVERITY_ORDER)[number]);
  return index === -1 ? SEVERITY_ORDER.length + 1 : index + 1;
}
