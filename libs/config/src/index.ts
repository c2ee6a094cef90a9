export * from './app-config';
export * from './config.module';
export { loadConfig, ConfigError, StartupError, JWT_SECRET_PLACEHOLDER, parseTrustProxy } from './load-config';
