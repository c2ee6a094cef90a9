import { Module } from '@nestjs/common';
import { LoginMethods } from './login-methods';
import { OneTimeTokensRepository } from './one-time-tokens.repository';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, OneTimeTokensRepository, LoginMethods],
  exports: [UsersRepository, UsersService, OneTimeTokensRepository, LoginMethods],
})
export class UsersModule {}
