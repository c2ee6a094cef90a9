import { Module } from '@nestjs/common';
import { OneTimeTokensRepository } from './one-time-tokens.repository';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, OneTimeTokensRepository],
  exports: [UsersRepository, UsersService, OneTimeTokensRepository],
})
export class UsersModule {}
