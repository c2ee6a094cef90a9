export * from './password-reset.module';
