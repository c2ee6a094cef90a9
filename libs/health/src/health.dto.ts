import { ApiProperty } from '@nestjs/swagger';

export class BasicHealthDto {
  @ApiProperty({ example: 'healthy' }) status: 'healthy';
  @ApiProperty({ example: 'production' }) environment: string;
  @ApiProperty({ example: '0.1.0' }) version: string;
}

export class ProbeDto {
  @ApiProperty({ example: 'ok' }) status: 'ok';
}
