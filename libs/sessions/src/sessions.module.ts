import { Module } from '@nestjs/common';
import { AccessChangesReplayer } from './access-changes.replayer';
import { AccessChangesRepository } from './access-changes.repository';
import { AccessStateService } from './access-state.service';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService, AccessStateService, AccessChangesRepository, AccessChangesReplayer],
  exports: [SessionsService, AccessStateService, AccessChangesReplayer],
})
export class SessionsModule {}
