import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SecretBox } from '@app/common';

/**
 * Endpoint secrets at rest: sealed (AES-256-GCM, key from KEY_ENCRYPTION_SECRET, else JWT_SECRET)
 * and bound to the endpoint's id, because the delivery job must sign with the secret itself.
 */
@Injectable()
export class WebhookSecretBox {
  private readonly box: SecretBox;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.box = new SecretBox(config.mfa.sealingSecret, 'webhook-secret-v1');
  }

  seal(secret: string, endpointId: string): string {
    return this.box.seal(secret, endpointId);
  }

  /** null when it was sealed under another key (the key was changed) */
  open(sealed: string, endpointId: string): string | null {
    return this.box.open(sealed, endpointId);
  }
}
