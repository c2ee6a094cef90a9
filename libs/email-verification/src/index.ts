export * from './email-verification.module';
export { EmailOnlyDto } from './email-verification.dto';
