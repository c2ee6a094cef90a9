import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OneTimeToken } from './one-time-token.entity';
import { OneTimeTokensRepository } from './one-time-tokens.repository';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, OneTimeToken])],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, OneTimeTokensRepository],
  exports: [UsersRepository, UsersService, OneTimeTokensRepository],
})
export class UsersModule {}
