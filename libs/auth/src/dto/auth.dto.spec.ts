import { AppValidationPipe } from '@app/common';
import { LoginDto, RegisterDto } from './auth.dto';

/** What a client reads first when it sends too little: the field is required, not a length rule. */
describe('validation messages of the auth bodies', () => {
  const errorsOf = async (metatype: unknown, body: unknown) => {
    try {
      await new AppValidationPipe().transform(body, { type: 'body', metatype: metatype as never });
      return null;
    } catch (err) {
      return (err as { options: { errors: unknown } }).options.errors;
    }
  };

  it.each([
    ['login', LoginDto],
    ['register', RegisterDto],
  ])('%s with {} says email and password are required', async (_, dto) => {
    expect(await errorsOf(dto, {})).toEqual([
      { field: 'email', message: 'is required' },
      { field: 'password', message: 'is required' },
    ]);
  });

  it('a present field of the wrong kind keeps its own message', async () => {
    expect(await errorsOf(LoginDto, { email: 5, password: 'x' })).toEqual([{ field: 'email', message: 'must be a string' }]);
    expect(await errorsOf(LoginDto, { email: '', password: 'x' })).toEqual([{ field: 'email', message: 'should not be empty' }]);
  });
});
