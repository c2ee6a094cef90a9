export * from './users.module';
export * from './user.entity';
export * from './users.repository';
export * from './users.service';
export * from './dto/user.dto';
