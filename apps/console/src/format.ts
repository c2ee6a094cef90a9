/** A timestamp as the admin's browser shows dates (locale and time zone), or a dash. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A `<input type="datetime-local">` value (local time) as an ISO instant, or undefined when empty. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Undefined for an empty form value (the API's filters are optional query parameters). */
export function opt(value: string): string | undefined {
  const v = value.trim();
  return v === '' ? undefined : v;
}

/** 'true' / 'false' from a select, as a boolean filter; anything else (any) leaves it out. */
export function optBool(value: string): boolean | undefined {
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
