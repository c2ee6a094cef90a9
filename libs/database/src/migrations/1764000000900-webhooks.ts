import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks (API.md v1.2, "Tokens for other services"):
 *
 * - `webhook_endpoints`: where to deliver (`url`), which event types (`events`), and the signing
 *   secret sealed (AES-GCM under KEY_ENCRYPTION_SECRET / JWT_SECRET, bound to the endpoint id):
 *   the delivery job must sign with it, so it cannot be a hash;
 * - `webhook_deliveries`: an outbox of its own with the mail outbox's mechanics (OutboxQueue in
 *   the email lib: SKIP LOCKED claim, lease, fenced outcomes, backoff). One row per event and
 *   endpoint, written in the transaction of the change; its id is the `webhook-id` of every
 *   attempt. `payload` is the exact body, so a retry sends the same bytes.
 *
 * No foreign key from a delivery to its endpoint, on purpose: a user's sign-in writes deliveries
 * in its own transaction, and an endpoint deleted at that moment must not make the sign-in fail
 * on a constraint. Deleting an endpoint deletes its deliveries; a delivery whose endpoint is gone
 * is marked failed by the delivery job and purged later.
 */
export class Webhooks1764000000900 implements MigrationInterface {
  name = 'Webhooks1764000000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url varchar(2048) NOT NULL,
        events text[] NOT NULL CONSTRAINT webhook_endpoints_events_check CHECK (cardinality(events) > 0),
        description varchar(200),
        enabled boolean NOT NULL DEFAULT true,
        secret_sealed text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_created_idx ON webhook_endpoints (created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        event varchar(64) NOT NULL,
        payload text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending'
          CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        locked_until timestamptz(3),
        last_status_code smallint,
        last_error varchar(500),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        delivered_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (locked_until) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (delivered_at) WHERE status = 'delivered'`);
    await q.query(`CREATE INDEX webhook_deliveries_failed_idx ON webhook_deliveries (created_at) WHERE status = 'failed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
