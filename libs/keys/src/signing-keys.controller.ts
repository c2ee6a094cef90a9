import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, CommonErrors, type Cursor, PageQueryDto, Roles } from '@app/common';
import { SigningKeyDto, SigningKeyPageDto } from './dto/keys.dto';
import { KeysErrors } from './errors';
import { SigningKeys } from './signing-keys.service';

/** Signing keys for admins: listing (never private material) and an on-demand rotation (API.md v1.2). */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/signing-keys')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeys) {}

  @Get()
  @ApiOperation({ summary: 'Signing keys, newest first (kid, alg, state, dates; never private material)' })
  @ApiOkResponse({ type: SigningKeyPageDto })
  async list(@Query() q: PageQueryDto): Promise<SigningKeyPageDto> {
    const rows = await this.keys.page({ limit: q.limit, cursor: q.cursor ? decodeKeyCursor(q.cursor) : undefined });
    const kept = rows.slice(0, q.limit);
    const last = kept[kept.length - 1];
    return {
      items: kept.map(SigningKeyDto.from),
      next_cursor: rows.length > q.limit && last ? Buffer.from(`${last.createdAt.toISOString()}|${last.kid}`).toString('base64url') : null,
    };
  }

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate now: the next key signs from now on, the current one retires (published until its tokens expire), a new next key is made',
    description: 'Audited as admin.signing_key_rotated. Tokens signed before keep verifying until they expire.',
  })
  @ApiOkResponse({ type: SigningKeyDto })
  @ApiProblems([KeysErrors.noSigningKeys, 'JWT_ALGORITHM=HS256'])
  async rotate(@Actor() actor: Actor): Promise<SigningKeyDto> {
    if (!this.keys.alg) throw KeysErrors.noSigningKeys();
    return SigningKeyDto.from(await this.keys.rotate(actor));
  }
}

/** Keys are ordered by (created_at, kid): the kid (a JWK thumbprint) stands where other cursors have a UUID. */
function decodeKeyCursor(value: string): Cursor {
  const [iso, kid, extra] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (extra !== undefined || !kid || !/^[A-Za-z0-9_-]{1,64}$/.test(kid) || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) {
    throw CommonErrors.invalidCursor();
  }
  return { createdAt, id: kid };
}
