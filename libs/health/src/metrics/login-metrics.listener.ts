import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEvent } from '@app/common';
import { MetricsService } from './metrics.service';

/** Counts sign-in outcomes from the domain events the auth flows emit anyway. */
@Injectable()
export class LoginMetricsListener {
  constructor(private readonly metrics: MetricsService) {}

  @OnEvent('auth.login')
  passwordLogin(event: DomainEvent): void {
    this.metrics.recordLogin('password', event.outcome === 'success' ? 'success' : 'failure');
  }

  @OnEvent('auth.account_locked')
  locked(): void {
    this.metrics.recordLogin('password', 'locked');
  }

  @OnEvent('oauth.login')
  oauthLogin(event: DomainEvent): void {
    this.metrics.recordLogin('oauth', event.outcome === 'success' ? 'success' : 'failure');
  }
}
