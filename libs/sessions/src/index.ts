export * from './sessions.module';
export * from './sessions.service';
export * from './access-state.service';
export * from './session.rows';
export * from './dto/session.dto';
export type { SessionWithEmail } from './sessions.repository';
export * from './access-changes.replayer';
export * from './errors';
