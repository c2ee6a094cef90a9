import { AppValidationPipe } from '@app/common';
import { RegisterDto } from './dto/auth.dto';
import { EMBEDDED_ADMIN_EMAIL } from './bootstrap-admin.service';

/**
 * The embedded mode's generated admin must be an address the product itself accepts: the reset
 * request and registration validate with the same rule (IsEmailAddress), so an address refused
 * here could never ask for a reset link.
 */
describe('the embedded bootstrap admin address', () => {
  const errorsOf = async (email: string) => {
    try {
      await new AppValidationPipe().transform({ email, password: 'x' }, { type: 'body', metatype: RegisterDto });
      return [];
    } catch (err) {
      return (err as { options: { errors: { field: string }[] } }).options.errors.filter((e) => e.field === 'email');
    }
  };

  it('passes the product email validation', async () => {
    expect(await errorsOf(EMBEDDED_ADMIN_EMAIL)).toEqual([]);
  });

  it('the check refuses what the old default was (self-test)', async () => {
    expect(await errorsOf('admin@localhost')).toEqual([{ field: 'email', message: expect.stringContaining('valid email') }]);
  });
});
