export * from './users.module';
export * from './user.rows';
export * from './users.repository';
export * from './user.rows';
export * from './users.service';
export * from './dto/user.dto';
export * from './one-time-tokens.repository';
export * from './errors';
