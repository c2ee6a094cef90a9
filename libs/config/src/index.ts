export * from './app-config';
export * from './config.module';
export { loadConfig, ConfigError, StartupError, JWT_SECRET_PLACEHOLDER, packageRoot, parseTrustProxy } from './load-config';
