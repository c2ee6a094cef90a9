export * from './keys.module';
export * from './signing-keys.service';
export * from './signing-keys.repository';
export * from './token-codec';
export * from './errors';
