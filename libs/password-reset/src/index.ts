export * from './password-reset.module';
export * from './password-reset.service';
