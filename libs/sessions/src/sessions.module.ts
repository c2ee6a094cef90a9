import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessChangesReplayer } from './access-changes.replayer';
import { AccessChangesRepository } from './access-changes.repository';
import { AccessStateService } from './access-state.service';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken])],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService, AccessStateService, AccessChangesRepository, AccessChangesReplayer],
  exports: [SessionsService, AccessStateService, AccessChangesReplayer],
})
export class SessionsModule {}
