import type { Type } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { type Actor, AppValidationPipe, IsEmailAddress, ProblemException, type Role, ROLES } from '@app/common';
import { AdminService } from '@app/admin';
import { SigningKeys } from '@app/keys';
import { PasswordResetService } from '@app/password-reset';
import type { User } from '@app/users';
import { CommandError, UsageError } from './cli-errors';
import { PASSWORD_VARIABLE, readNewPassword } from './password-input';

export type Options = Record<string, string | boolean | undefined>;

/** What a command gets once the application context is up. */
export interface CommandContext {
  get<T>(type: Type<T>): T;
  actor: Actor;
  /** the command's result, on stdout */
  out(line: string): void;
  /** what the operator should know besides, on stderr */
  note(line: string): void;
}

/**
 * One operator command: `parse` checks the arguments (and reads a password) before anything
 * boots, so a usage error costs nothing; `run` calls the same service methods as the admin API.
 */
export interface Command<Input = unknown> {
  name: string;
  usage: string;
  summary: string;
  /** more lines for `help <command>` */
  details?: string[];
  options?: Record<string, { type: 'string' | 'boolean' }>;
  /** the number of positional arguments, exactly */
  arity: number;
  parse(args: string[], options: Options, env: NodeJS.ProcessEnv): Promise<Input> | Input;
  run(ctx: CommandContext, input: Input): Promise<void>;
}

const command = <Input>(c: Command<Input>): Command => c as Command;

/** What operators get told when a change is refused for one of these reasons. */
const HINTS: Record<string, string> = {
  email_taken: 'to make that account an admin: npm run cli -- set-role <email> admin',
  last_admin: 'create or promote another admin first (create-admin, set-role)',
  account_disabled: 'enable the account first: npm run cli -- enable <user>',
};

/** The operator's words for a refusal of the services: the problem's detail, its field errors and a hint. */
export function describeProblem(err: ProblemException): string[] {
  const fields = (err.options.errors ?? []).map((e) => `  ${e.field}: ${e.message}`);
  const hint = HINTS[err.code] ? [`hint: ${HINTS[err.code]}`] : [];
  return [err.detail, ...fields, ...hint];
}

/** A user named by id or email address; a command error naming what was looked for when there is none. */
async function userNamed(ctx: CommandContext, ref: string): Promise<User> {
  try {
    return await ctx.get(AdminService).findUser(ref);
  } catch (err) {
    if (err instanceof ProblemException && err.status === 404) throw new CommandError(`no user with ${isUUID(ref) ? 'id' : 'email'} ${ref}`);
    throw err;
  }
}

class NewAdminInput {
  @IsEmailAddress() email: string;
}

const createAdmin = command<{ email: string; name: string | null; password: string }>({
  name: 'create-admin',
  usage: 'create-admin <email> [--name <name>] [--password-stdin]',
  summary: 'create an admin account (its email taken as verified)',
  details: [
    'The password must satisfy the password policy of registration. It is asked on the terminal',
    `(twice, not echoed), read from standard input with --password-stdin, or taken from ${PASSWORD_VARIABLE};`,
    'never from the command line, where it would stay in the shell history and process listings.',
    'An address that already has an account is refused: promote that account with set-role.',
  ],
  options: { name: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  arity: 1,
  async parse([email], options, env) {
    try {
      await new AppValidationPipe().transform({ email }, { type: 'body', metatype: NewAdminInput });
    } catch (err) {
      if (err instanceof ProblemException) throw new UsageError(`<email> ${err.options.errors?.[0]?.message ?? 'is invalid'}: ${email}`);
      throw err;
    }
    const name = typeof options.name === 'string' ? options.name.trim() || null : null;
    const password = await readNewPassword({ fromStdin: options['password-stdin'] === true, env });
    return { email: email.trim(), name, password };
  },
  async run(ctx, input) {
    const user = await ctx.get(AdminService).createAdmin(ctx.actor, input);
    ctx.out(`Created admin ${user.email} (id ${user.id}).`);
  },
});

const setRole = command<{ ref: string; role: Role }>({
  name: 'set-role',
  usage: `set-role <user> <${ROLES.join('|')}>`,
  summary: "change a user's role (effective on the user's next request)",
  details: ['The last active admin cannot be demoted.'],
  arity: 2,
  parse([ref, role]) {
    if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`<role> must be one of ${ROLES.join(', ')}: ${role}`);
    return { ref, role: role as Role };
  },
  async run(ctx, { ref, role }) {
    const user = await userNamed(ctx, ref);
    if (user.role === role) return ctx.out(`${user.email} already has the role ${role}; nothing changed.`);
    await ctx.get(AdminService).updateUser(ctx.actor, user.id, { role });
    ctx.out(`${user.email}: role ${user.role} → ${role}.`);
  },
});

const setActive = (active: boolean) =>
  command<{ ref: string }>({
    name: active ? 'enable' : 'disable',
    usage: `${active ? 'enable' : 'disable'} <user>`,
    summary: active ? 'enable a disabled account' : 'disable an account and revoke all its sessions at once',
    details: active
      ? ['The user signs in again; sessions revoked by the disable stay revoked.']
      : ['Its access tokens are refused from the next request on, on every API node. The last active admin cannot be disabled.'],
    arity: 1,
    parse: ([ref]) => ({ ref }),
    async run(ctx, { ref }) {
      const user = await userNamed(ctx, ref);
      if (user.isActive === active) return ctx.out(`${user.email} is already ${active ? 'enabled' : 'disabled'}; nothing changed.`);
      await ctx.get(AdminService).updateUser(ctx.actor, user.id, { is_active: active });
      ctx.out(active ? `Enabled ${user.email}.` : `Disabled ${user.email}: its sessions are revoked and its access tokens refused.`);
    },
  });

const revokeSessions = command<{ ref: string }>({
  name: 'revoke-sessions',
  usage: 'revoke-sessions <user>',
  summary: 'sign a user out everywhere (every session revoked at once)',
  arity: 1,
  parse: ([ref]) => ({ ref }),
  async run(ctx, { ref }) {
    const user = await userNamed(ctx, ref);
    const count = await ctx.get(AdminService).revokeUserSessions(ctx.actor, user.id);
    ctx.out(`Revoked ${count} session${count === 1 ? '' : 's'} of ${user.email}.`);
  },
});

const resetLink = command<{ ref: string }>({
  name: 'reset-link',
  usage: 'reset-link <user>',
  summary: 'print a one-time password-reset link (the link of the reset mail)',
  details: [
    'The link alone goes to stdout; what to know about it goes to stderr. It is valid for',
    'PASSWORD_RESET_TTL seconds, works once, and replaces any older reset link of the user.',
    'Whoever holds it can take over the account: hand it over through a channel you trust.',
  ],
  arity: 1,
  parse: ([ref]) => ({ ref }),
  async run(ctx, { ref }) {
    const user = await userNamed(ctx, ref);
    const { link, expiresAt } = await ctx.get(PasswordResetService).issueLink(ctx.actor, user.id);
    ctx.out(link);
    ctx.note(`Reset link for ${user.email}, single use, valid until ${expiresAt.toISOString()}; older reset links of this user no longer work.`);
  },
});

const resetMfa = command<{ ref: string }>({
  name: 'reset-mfa',
  usage: 'reset-mfa <user>',
  summary: "remove a user's second factors and passkeys (a lost device) and sign them out everywhere",
  details: ['The user then signs in with the password (or a provider) alone and may enrol again. Audited as mfa.reset_by_admin.'],
  arity: 1,
  parse: ([ref]) => ({ ref }),
  async run(ctx, { ref }) {
    const user = await userNamed(ctx, ref);
    const r = await ctx.get(AdminService).resetMfa(ctx.actor, user.id);
    const what =
      [r.totp ? 'TOTP' : null, r.passkeys ? `${r.passkeys} passkey${r.passkeys === 1 ? '' : 's'}` : null].filter(Boolean).join(' and ') || 'no factor';
    ctx.out(`Removed ${what} of ${user.email}; revoked ${r.revokedSessions} session${r.revokedSessions === 1 ? '' : 's'}.`);
  },
});

const rotateKeys = command<Record<string, never>>({
  name: 'rotate-keys',
  usage: 'rotate-keys',
  summary: 'rotate the signing keys of access tokens now (the next key signs, the current one retires)',
  details: [
    'Tokens signed before keep verifying until they expire (the retired key stays in the JWKS that long);',
    'every API node follows within 30 s, at once when it sees a token of the new key. Audited as',
    'admin.signing_key_rotated. With JWT_ALGORITHM=HS256 there are no signing keys: exit 1.',
  ],
  arity: 0,
  parse: () => ({}),
  async run(ctx) {
    const keys = ctx.get(SigningKeys);
    if (!keys.alg) throw new CommandError('JWT_ALGORITHM=HS256 signs with JWT_SECRET: there are no signing keys to rotate');
    const current = await keys.rotate(ctx.actor);
    ctx.out(`Rotated: ${current.kid} (${current.alg}) signs from now on.`);
  },
});

/** The commands, in the order help lists them. */
export const COMMANDS: Command[] = [createAdmin, setRole, setActive(false), setActive(true), revokeSessions, resetLink, resetMfa, rotateKeys];
