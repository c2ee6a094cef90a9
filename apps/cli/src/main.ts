import 'reflect-metadata';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig, loadConfig, StartupError } from '@app/config';
import { cliActor, ProblemException, StartupLogger } from '@app/common';
import { CliModule } from './cli.module';
import { CommandError, Interrupted, UsageError } from './cli-errors';
import { type Command, COMMANDS, describeProblem, type Options } from './commands';

/**
 * The operator CLI: `npm run cli -- <command>` (built: `node dist/apps/cli/apps/cli/src/main.js`).
 * A Nest application context with the API's configuration, whose commands call the services the
 * admin API calls, as actor `cli`. Exit codes: 0 done, 1 failed, 2 wrong usage, 130 interrupted.
 */

const USAGE = 'npm run cli -- <command> [arguments]';

function helpText(): string {
  // a usage too long for the column gets its summary on the next line
  const line = (usage: string, summary: string) => (usage.length + 2 > 30 ? `  ${usage}\n${' '.repeat(32)}${summary}` : `  ${usage.padEnd(30)}${summary}`);
  return [
    'Operator commands of the identity backend. They run with the configuration of the API (the',
    'same environment variables); without DATABASE_URL they open the embedded database in DATA_DIR,',
    'which only one process can have open: stop the API on that DATA_DIR first. Every change is',
    'recorded in the audit trail with actor "cli" (metadata.actor).',
    '',
    `Usage: ${USAGE}`,
    '       node dist/apps/cli/apps/cli/src/main.js <command> [arguments]   (after npm run build)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => line(c.usage, c.summary)),
    line('help [<command>]', 'this text, or more about one command'),
    '',
    '<user> is an email address or a user id. create-admin reads the password from the terminal,',
    'from standard input (--password-stdin) or from CLI_PASSWORD, never from the command line.',
    '',
    'Exit codes: 0 done, 1 failed (the reason is printed), 2 wrong usage.',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [`Usage: npm run cli -- ${c.usage}`, '', `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`, ...(c.details ?? [])].join('\n');
}

type Invocation = { help: string } | { command: Command; args: string[]; options: Options };

/** The command line, checked before anything boots. */
function parseInvocation(argv: string[]): Invocation {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('no command given');
  if (name === 'help' || name === '--help' || name === '-h') {
    if (rest.length === 0) return { help: helpText() };
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    if (!topic || rest.length > 1) throw new UsageError(`no command named ${rest.join(' ')}`);
    return { help: commandHelp(topic) };
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command: ${name}`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command.name}: ${(err as Error).message}`);
  }
  if (parsed.values.help) return { help: commandHelp(command) };
  if (parsed.positionals.length !== command.arity || parsed.positionals.some((a) => !a.trim())) {
    throw new UsageError(`usage: npm run cli -- ${command.usage}`);
  }
  return { command, args: parsed.positionals, options: parsed.values as Options };
}

/**
 * The API's configuration, with what differs for a short-lived operator command: its logs on
 * stderr (stdout is the command's output) and at `warn` unless LOG_LEVEL says otherwise; no
 * bootstrap admin (an operator command creates only what it is asked to); no outbox delivery; no
 * traces (OTEL_EXPORTER_OTLP_ENDPOINT is for the API and the worker: a command serves no request).
 */
function cliConfig(env: NodeJS.ProcessEnv): AppConfig {
  const config = loadConfig(env);
  return {
    ...config,
    app: { ...config.app, logLevel: env.LOG_LEVEL ? config.app.logLevel : 'warn', logTarget: 'stderr', otlpEndpoint: undefined },
    auth: { ...config.auth, bootstrapAdmin: { ...config.auth.bootstrapAdmin, enabled: false } },
    email: { ...config.email, deliveryInApi: false },
  };
}

/** Who ran it, for the audit trail's user_agent: the tool and, when there is one, the OS account. */
function operator(config: AppConfig): string {
  let account = '';
  try {
    account = `${userInfo().username}@`;
  } catch {
    // a container user without a passwd entry
  }
  return `identity-cli/${config.app.version} (${account}${hostname()})`;
}

async function main(argv: string[]): Promise<number> {
  const invocation = parseInvocation(argv);
  if ('help' in invocation) {
    process.stdout.write(`${invocation.help}\n`);
    return 0;
  }
  const { command, args, options } = invocation;
  const input = await command.parse(args, options, process.env);
  const config = cliConfig(process.env);
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: new StartupLogger(config), abortOnError: false });
  app.useLogger(app.get(Logger));
  try {
    await command.run(
      {
        get: (type) => app.get(type),
        actor: cliActor(operator(config)),
        out: (line) => process.stdout.write(`${line}\n`),
        note: (line) => process.stderr.write(`${line}\n`),
      },
      input,
    );
  } finally {
    await app.close();
  }
  return 0;
}

/** The message and exit code of a failure; a stack trace only for what is a bug, and only at LOG_LEVEL=debug. */
function report(err: unknown): number {
  const say = (lines: string[]) => process.stderr.write(`error: ${lines.join('\n')}\n`);
  if (err instanceof UsageError) {
    say([err.message]);
    process.stderr.write(`Run "${USAGE.replace('<command> [arguments]', 'help')}" for the commands and their arguments.\n`);
    return 2;
  }
  if (err instanceof Interrupted) return 130;
  if (err instanceof CommandError || err instanceof StartupError) say([err.message]);
  else if (err instanceof ProblemException) say(describeProblem(err));
  else {
    const e = err instanceof Error ? err : new Error(String(err));
    say([`${e.message} (unexpected: run again with LOG_LEVEL=debug for the stack trace)`]);
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) process.stderr.write(`${e.stack}\n`);
  }
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(report(err)),
);
