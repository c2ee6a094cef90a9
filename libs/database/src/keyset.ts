import type { Cursor } from '@app/common';

/** The WHERE conditions of a statement and their parameters, numbered as they are added. */
export class Conditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** Adds a parameter; returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(condition: string): this {
    this.parts.push(condition);
    return this;
  }

  get where(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/**
 * The tail of a newest-first keyset page over (created_at, id) of `alias`: the cursor condition,
 * the order (always an index range scan: every listed table has a (created_at DESC, id DESC)
 * index, alone or after its filter columns) and `limit + 1` rows, so `toPage` can tell whether
 * another page follows.
 */
export function keysetPage(c: Conditions, alias: string, page: { limit: number; cursor?: Cursor }): string {
  if (page.cursor) c.add(`(${alias}.created_at, ${alias}.id) < (${c.param(page.cursor.createdAt)}, ${c.param(page.cursor.id)}::uuid)`);
  return `${c.where} ORDER BY ${alias}.created_at DESC, ${alias}.id DESC LIMIT ${c.param(page.limit + 1)}`;
}
