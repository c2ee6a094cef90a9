/** PostgreSQL unique_violation (23505), as surfaced by pg/TypeORM. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; driverError?: { code?: string; constraint?: string }; constraint?: string };
  const code = e?.code ?? e?.driverError?.code;
  if (code !== '23505') return false;
  return !constraint || (e.constraint ?? e.driverError?.constraint) === constraint;
}
